"""Documents on a record: letters home (烈士家书), portraits, citations, each with its source and caption.

An upload is checked with the media layer's image opener (its size limits stop decompression bombs), its resized
copies are written under the media folder, the upload itself is kept beside it in a folder the site never serves,
and the row is added last, in one transaction with its audit record: a failed upload leaves no row.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError, MediaError
from streamkit.media.publish import atomic_output
from streamkit.register.derivatives import Derivative, format_sizes, make_derivatives, parse_sizes
from streamkit.register.models import Martyr, MartyrDocument

KINDS = {"letter": "烈士家书", "portrait": "遗像", "citation": "证书与嘉奖"}
MAX_UPLOAD_BYTES = 20 << 20
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}


def originals_dir(store: ArchiveStore) -> Path:
    """Where uploads are kept: beside the public media folder, never inside it."""
    return store.media_dir.with_name(f"{store.media_dir.name}-originals")


@dataclass(frozen=True)
class DocumentDraft:
    kind: str
    caption: str
    source: str
    transcription: str = ""


def check_draft(draft: DocumentDraft) -> dict[str, str]:
    """Every problem with a draft, by field."""
    problems: dict[str, str] = {}
    if draft.kind not in KINDS:
        problems["kind"] = "unknown kind of document"
    if len(draft.caption) > 300:
        problems["caption"] = "too long (at most 300 characters)"
    if not draft.source.strip():
        problems["source"] = "say where the document comes from"
    elif len(draft.source) > 500:
        problems["source"] = "too long (at most 500 characters)"
    return problems


def add_document(store: ArchiveStore, martyr_id: int, upload: Path, draft: DocumentDraft, *, actor: str) -> int:
    """Add a document from an uploaded file; returns its id. ArchiveError, naming the problem, when refused."""
    problems = check_draft(draft)
    if problems:
        raise ArchiveError("; ".join(problems.values()))
    suffix = upload.suffix.lower()
    if suffix not in SUFFIXES:
        raise ArchiveError(f"a document must be a picture ({', '.join(sorted(SUFFIXES))})")
    if upload.stat().st_size > MAX_UPLOAD_BYTES:
        raise ArchiveError(f"the file is larger than {MAX_UPLOAD_BYTES >> 20} MB")
    token = secrets.token_hex(10)
    folder = f"register/documents/{martyr_id}-{token}"
    try:
        sizes = make_derivatives(upload, store.media_dir / folder)
    except MediaError as exc:
        shutil.rmtree(store.media_dir / folder, ignore_errors=True)
        raise ArchiveError(f"the picture cannot be used: {exc.cause}") from None
    original = f"{martyr_id}-{token}{suffix}"
    with atomic_output(originals_dir(store) / original) as partial:
        shutil.copyfile(upload, partial)
    with store.transaction() as session:
        if session.get(Martyr, martyr_id) is None:
            raise ArchiveError("no such record")
        document = MartyrDocument(
            martyr_id=martyr_id,
            kind=draft.kind,
            caption=draft.caption.strip(),
            source=draft.source.strip(),
            transcription=draft.transcription.strip(),
            original=original,
            folder=folder,
            sizes=format_sizes(sizes),
        )
        session.add(document)
        session.flush()
        ArchiveStore.audit(session, actor, "martyr.document.add", f"martyr:{martyr_id}", f"document {document.id}")
        return document.id


def set_document_hidden(store: ArchiveStore, document_id: int, hidden: bool, *, actor: str) -> int:
    """Hide or show one document; returns its record's id."""
    with store.transaction() as session:
        document = session.get(MartyrDocument, document_id)
        if document is None:
            raise ArchiveError("no such document")
        document.hidden = hidden
        action = "martyr.document.hide" if hidden else "martyr.document.show"
        ArchiveStore.audit(session, actor, action, f"martyr:{document.martyr_id}", f"document {document_id}")
        return document.martyr_id


@dataclass(frozen=True)
class ShownDocument:
    """A document as a page shows it: its copies (narrowest first) and words."""

    id: int
    kind: str
    caption: str
    source: str
    transcription: str
    folder: str
    sizes: tuple[Derivative, ...]


def documents_of(store: ArchiveStore, martyr_id: int, *, include_hidden: bool = False) -> list[ShownDocument]:
    """A record's documents in the order they were added; hidden ones only when staff ask."""
    query = select(MartyrDocument).where(MartyrDocument.martyr_id == martyr_id).order_by(MartyrDocument.id)
    if not include_hidden:
        query = query.where(MartyrDocument.hidden.is_(False))
    with store.session() as session:
        return [
            ShownDocument(d.id, d.kind, d.caption, d.source, d.transcription, d.folder, tuple(parse_sizes(d.sizes)))
            for d in session.scalars(query)
        ]
