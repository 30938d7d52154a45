"""Publish a rendered tour or a ceremony recording into the archive, without the site running.

Files are copied (or linked) into the store's media folder under a folder named by the media checksum, so
publishing the same file twice updates one entry instead of making two.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from streamkit.archive.models import ArchiveEntry, EntryKind, Event, EventStatus, utcnow
from streamkit.archive.store import ArchiveStore, tag_names
from streamkit.errors import ArchiveError, MediaError
from streamkit.media.checksum import file_sha256
from streamkit.media.probe import probe, probe_image
from streamkit.media.publish import atomic_output

POSTER_TYPES = {".jpg", ".jpeg", ".png", ".webp"}
MEDIA_TYPES = {".mp4", ".m4v", ".webm", ".mov", ".m4a", ".mp3"}


def check_vtt(path: Path) -> None:
    """A WebVTT file must be UTF-8 and start with the WEBVTT signature (a BOM is allowed)."""
    try:
        head = path.read_bytes()[:4096].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArchiveError(f"{path}: captions/chapters must be UTF-8 WebVTT") from None
    if not head.startswith("WEBVTT"):
        raise ArchiveError(f"{path}: not a WebVTT file (first line must be WEBVTT)")


def _existing_file(path: str | Path | None, what: str, allowed: set[str] | None = None) -> Path | None:
    if path is None:
        return None
    found = Path(path)
    if not found.is_file():
        raise ArchiveError(f"{found}: {what} file not found")
    if found.stat().st_size == 0:
        raise ArchiveError(f"{found}: {what} file is empty")
    if allowed is not None and found.suffix.lower() not in allowed:
        raise ArchiveError(f"{found}: {what} must be one of {', '.join(sorted(allowed))}")
    return found


def _check_media(media: Path, poster: Path | None) -> None:
    """What the site will serve must probe and decode: a damaged or hostile file never gets an entry."""
    try:
        probe(media)
        if poster is not None:
            probe_image(poster)
    except MediaError as exc:
        raise ArchiveError(str(exc)) from None


def _place_ladder(source: Path, target: Path) -> None:
    """Copy an HLS folder to ``target`` (inside the media folder) whole: copied beside it, then renamed."""
    if (target / "master.m3u8").is_file():
        return  # the same media published before: its ladder is there already
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        shutil.copytree(source, partial)
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _place(source: Path, target: Path, *, copy: bool) -> None:
    """Put ``source`` at ``target`` (inside the media folder), atomically; unchanged targets are left alone."""
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return
    with atomic_output(target) as partial:
        if copy:
            shutil.copyfile(source, partial)
        else:
            os.symlink(source.resolve(), partial)


def publish_media(
    store_or_url: ArchiveStore | str,
    *,
    kind: Literal["recording", "tour"],
    title: str,
    media_path: str | Path,
    duration_ms: int,
    poster: str | Path | None = None,
    captions_vtt: str | Path | None = None,
    chapters_vtt: str | Path | None = None,
    hls_dir: str | Path | None = None,
    description: str = "",
    tags: Sequence[str] = (),
    campaign: str | None = None,
    venue: str | None = None,
    event_slug: str | None = None,
    published: bool = True,
    copy: bool = True,
) -> ArchiveEntry:
    """Add (or update, when the same media was published before) an archive entry; returns it.

    ``copy=False`` links the files into the media folder instead of copying them. ``hls_dir`` is an HLS ladder
    (``master.m3u8`` and its variants), copied whole. Publishing a recording for an event marks the event ended,
    so its page shows the recording.
    """
    store = store_or_url if isinstance(store_or_url, ArchiveStore) else ArchiveStore(store_or_url)
    if kind not in (EntryKind.RECORDING.value, EntryKind.TOUR.value):
        raise ArchiveError(f"kind must be 'recording' or 'tour', not {kind!r}")
    if not title.strip():
        raise ArchiveError("an archive entry needs a title")
    if len(title.strip()) > 200:
        raise ArchiveError("the title is longer than 200 characters")
    if duration_ms < 0:
        raise ArchiveError(f"duration must not be negative ({duration_ms} ms)")
    tag_names(tags)  # checked before any file is copied
    media = _existing_file(media_path, "media", MEDIA_TYPES)
    assert media is not None
    poster_path = _existing_file(poster, "poster", POSTER_TYPES)
    captions_path = _existing_file(captions_vtt, "captions", {".vtt"})
    chapters_path = _existing_file(chapters_vtt, "chapters", {".vtt"})
    for vtt in (captions_path, chapters_path):
        if vtt is not None:
            check_vtt(vtt)
    _check_media(media, poster_path)
    ladder = Path(hls_dir) if hls_dir is not None else None
    if ladder is not None and not (ladder / "master.m3u8").is_file():
        raise ArchiveError(f"{ladder}: no master.m3u8 in the HLS folder")

    checksum = file_sha256(media)
    folder = checksum[:16]
    names: dict[str, str] = {"media": f"{folder}/media{media.suffix.lower()}"}
    if poster_path:
        names["poster"] = f"{folder}/poster{poster_path.suffix.lower()}"
    if captions_path:
        names["captions"] = f"{folder}/captions.vtt"
    if chapters_path:
        names["chapters"] = f"{folder}/chapters.vtt"

    with store.transaction() as session:
        event = None
        if event_slug:
            event = session.scalar(select(Event).where(Event.slug == event_slug))
            if event is None:
                raise ArchiveError(f"no event with slug {event_slug!r}")
        # Files go in before the row is committed: a failed copy leaves no entry pointing at nothing.
        sources = {"media": media, "poster": poster_path, "captions": captions_path, "chapters": chapters_path}
        for key, relative in names.items():
            source = sources[key]
            assert source is not None
            _place(source, store.media_dir / relative, copy=copy)
        if ladder is not None:
            _place_ladder(ladder, store.media_dir / folder / "hls")
        entry = session.scalar(select(ArchiveEntry).where(ArchiveEntry.media_sha256 == checksum))
        created = entry is None
        if entry is None:
            entry = ArchiveEntry(media_sha256=checksum, published_at=utcnow())
            session.add(entry)
        entry.kind = kind
        entry.title = title.strip()
        entry.description = description
        entry.media_file = names["media"]
        entry.poster_file = names.get("poster", entry.poster_file or "")
        entry.captions_file = names.get("captions", entry.captions_file or "")
        entry.chapters_file = names.get("chapters", entry.chapters_file or "")
        entry.hls_file = f"{folder}/hls/master.m3u8" if ladder is not None else entry.hls_file or ""
        entry.duration_ms = duration_ms
        entry.campaign = campaign or (event.campaign if event else "")
        entry.venue = venue or (event.venue if event else "")
        entry.published = published
        entry.tags = ArchiveStore.tags_for(session, tags)
        entry.event = event
        if event is not None and kind == EntryKind.RECORDING.value and event.status != EventStatus.CANCELLED.value:
            event.status = EventStatus.ENDED.value
        session.flush()
        ArchiveStore.audit(
            session, "toolkit", "publish" if created else "republish", f"archive:{entry.id}", f"{kind} {title}"
        )
    return entry
