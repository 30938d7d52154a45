"""What a martyr's public page shows beyond the record's fields: the tomb photo's copies and where the archive's
recordings and tours show them ("appears at 02:13").

Appearances come from a published tour's chapters: each stop that names a record (``martyr:`` in the spec) is a
moment that record is on screen. Publishing the same tour again replaces its moments, never adds to them.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from streamkit.errors import MediaError
from streamkit.media.publish import write_text_atomic
from streamkit.register.coverage import best_photo
from streamkit.register.derivatives import Derivative, format_sizes, make_derivatives, parse_sizes, tomb_photo_folder
from streamkit.register.models import Martyr, MartyrAppearance, TombPhoto


@dataclass(frozen=True)
class Picture:
    """Resized copies of a picture under the media folder, narrowest first."""

    folder: str
    sizes: tuple[Derivative, ...]


def tomb_photo(session: Session, martyr_id: int) -> TombPhoto | None:
    """The photo that stands for a record's tomb: a good one if any, else the sharpest."""
    photos = list(
        session.scalars(select(TombPhoto).where(TombPhoto.martyr_id == martyr_id, TombPhoto.match == "matched"))
    )
    names = {p.id: Path(p.path).name for p in photos}
    best = best_photo(photos, names)
    return best[0] if best else None


def tomb_picture(store: ArchiveStore, martyr_id: int) -> Picture | None:
    """The tomb photo's copies, made on first use (the survey may hold thousands no one has opened yet); None when
    the record has no photo or its file no longer opens."""
    with store.session() as session:
        photo = tomb_photo(session, martyr_id)
        if photo is None:
            return None
        folder = tomb_photo_folder(photo.id, photo.path, photo.dhash)
        source = Path(photo.path)
    target = store.media_dir / folder
    sizes_file = target / "sizes.txt"
    if sizes_file.exists():
        return Picture(folder, tuple(parse_sizes(sizes_file.read_text(encoding="ascii"))))
    # Made in a folder of this request's own and renamed into place whole: two workers opening the page at once
    # never write into each other's files, and the second one's copies are simply dropped.
    building = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    try:
        made = make_derivatives(source, building)
        write_text_atomic(building / "sizes.txt", format_sizes(made))
        os.rename(building, target)
    except MediaError:
        return None
    except OSError:  # another worker's copies are in place (or a damaged folder is: then no picture, not an error)
        if not all((target / d.name).exists() for d in made):
            return None
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return Picture(folder, tuple(made))


@dataclass(frozen=True)
class Appearance:
    entry_id: int
    title: str
    kind: str
    start_ms: int

    @property
    def at(self) -> str:
        """``02:13``, or ``1:02:13`` past the hour."""
        seconds = self.start_ms // 1000
        hours, rest = divmod(seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"

    @property
    def seconds(self) -> int:
        return self.start_ms // 1000


def record_appearances(session: Session, entry_id: int, moments: Iterable[tuple[int, int, int]]) -> list[int]:
    """Replace an archive entry's moments with ``(martyr_id, start_ms, end_ms)``; returns the ids that name no
    record (left out, so a tour rendered against another register does not fail its publication)."""
    moments = list(moments)
    wanted = {m for m, _, _ in moments}
    known = set(session.scalars(select(Martyr.id).where(Martyr.id.in_(wanted)))) if wanted else set()
    session.execute(delete(MartyrAppearance).where(MartyrAppearance.entry_id == entry_id))
    seen: set[tuple[int, int]] = set()
    for martyr_id, start_ms, end_ms in moments:
        if martyr_id in known and (martyr_id, start_ms) not in seen:
            seen.add((martyr_id, start_ms))
            session.add(MartyrAppearance(martyr_id=martyr_id, entry_id=entry_id, start_ms=start_ms, end_ms=end_ms))
    return sorted(wanted - known)


def appearances_of(store: ArchiveStore, martyr_id: int) -> list[Appearance]:
    """Where published recordings and tours show a record, newest entry first, in time order within one."""
    query = (
        select(ArchiveEntry.id, ArchiveEntry.title, ArchiveEntry.kind, MartyrAppearance.start_ms)
        .join(ArchiveEntry, ArchiveEntry.id == MartyrAppearance.entry_id)
        .where(MartyrAppearance.martyr_id == martyr_id, ArchiveEntry.published.is_(True))
        .order_by(ArchiveEntry.published_at.desc(), ArchiveEntry.id.desc(), MartyrAppearance.start_ms)
    )
    with store.session() as session:
        return [Appearance(*row) for row in session.execute(query)]
