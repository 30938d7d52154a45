"""How far the tomb photo survey has got, per cemetery and section, from what the store holds.

A tomb has a good photo when one of its photos has no problem and is no near-duplicate of an earlier photo; it has
a poor one when all its photos have problems (the reasons are kept); else none. Records with no tomb position and
photos no record was chosen for (unmatched or ambiguous) are listed apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.media.publish import atomic_output
from streamkit.register.models import Martyr, TombPhoto
from streamkit.register.record import tomb_label


def photo_reasons(photo: TombPhoto, names: dict[int, str]) -> tuple[str, ...]:
    """Why a photo is poor: its problems, and the photo it nearly duplicates; empty for a good photo."""
    reasons = tuple(p for p in photo.problems.split(",") if p)
    if photo.duplicate_of is not None:
        reasons += (f"duplicate of {names.get(photo.duplicate_of, '?')}",)
    return reasons


@dataclass(frozen=True)
class TombCoverage:
    martyr_id: int
    name: str
    cemetery: str
    section: str
    tomb: str
    status: str  # good, poor or none
    reasons: tuple[str, ...] = ()
    photo: str = ""  # the best photo's file name


@dataclass
class SectionCoverage:
    cemetery: str
    section: str
    tombs: list[TombCoverage] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for t in self.tombs if t.status == status)


@dataclass(frozen=True)
class Coverage:
    sections: tuple[SectionCoverage, ...]
    records_without_tomb: tuple[tuple[int, str, str], ...]  # id, name, cemetery
    photos_without_record: tuple[tuple[str, str], ...]  # file name, why (unmatched or ambiguous)


def best_photo(photos: list[TombPhoto], names: dict[int, str]) -> tuple[TombPhoto, tuple[str, ...]] | None:
    """The photo to show for a tomb: a good one if any, else the sharpest; with its reasons."""
    ranked = sorted(photos, key=lambda p: (bool(photo_reasons(p, names)), -p.sharpness, p.id))
    return (ranked[0], photo_reasons(ranked[0], names)) if ranked else None


def coverage(store: ArchiveStore, cemetery: str = "") -> Coverage:
    """The survey's coverage, sections in cemetery and section order, tombs in row and number order."""
    with store.session() as session:
        photos = list(session.scalars(select(TombPhoto).order_by(TombPhoto.id)))
        names = {p.id: Path(p.path).name for p in photos}
        by_record: dict[int, list[TombPhoto]] = defaultdict(list)
        for photo in photos:
            if photo.martyr_id is not None and photo.match == "matched":
                by_record[photo.martyr_id].append(photo)
        query = select(Martyr).order_by(Martyr.cemetery, Martyr.section, Martyr.id)
        records = list(session.scalars(query.where(Martyr.cemetery == cemetery) if cemetery else query))
    sections: dict[tuple[str, str], SectionCoverage] = {}
    without_tomb: list[tuple[int, str, str]] = []
    for record in sorted(records, key=_tomb_order):
        if record.tomb_key is None:
            without_tomb.append((record.id, record.name, record.cemetery))
            continue
        best = best_photo(by_record.get(record.id, []), names)
        status = "none" if best is None else "poor" if best[1] else "good"
        place = sections.setdefault((record.cemetery, record.section), SectionCoverage(record.cemetery, record.section))
        tomb = tomb_label(record.section, record.row, record.number)
        reasons, shown = (best[1], names[best[0].id]) if best else ((), "")
        place.tombs.append(
            TombCoverage(record.id, record.name, record.cemetery, record.section, tomb, status, reasons, shown)
        )
    loose = tuple((names[p.id], p.match) for p in photos if p.match != "matched" or p.martyr_id is None)
    return Coverage(tuple(sections.values()), tuple(without_tomb), loose)


def _tomb_order(record: Martyr) -> tuple[str, str, int, int, int]:
    def number(text: str) -> int:
        return int(text) if text.isdigit() else 0

    return (record.cemetery, record.section, number(record.row), number(record.number), record.id)


def coverage_lines(found: Coverage) -> list[str]:
    """The report as the command prints it."""
    lines: list[str] = []
    for place in found.sections:
        where = f"{place.cemetery} {place.section}区" if place.section else place.cemetery
        lines.append(
            f"{where}: {len(place.tombs)} tombs, good {place.count('good')}, poor {place.count('poor')}, "
            f"none {place.count('none')}"
        )
        lines += [f"  poor: {t.tomb} {t.name} ({'; '.join(t.reasons)})" for t in place.tombs if t.status == "poor"]
        lines += [f"  none: {t.tomb} {t.name}" for t in place.tombs if t.status == "none"]
    lines.append(f"records with no tomb: {len(found.records_without_tomb)}")
    lines += [f"  #{i} {name} {cemetery}".rstrip() for i, name, cemetery in found.records_without_tomb]
    lines.append(f"photos with no record: {len(found.photos_without_record)}")
    lines += [f"  {name} ({why})" for name, why in found.photos_without_record]
    return lines


def write_coverage_xlsx(found: Coverage, target: Path) -> None:
    """The report as an XLSX (a summary sheet, then tombs, records without a tomb, loose photos), atomically."""
    from openpyxl import Workbook  # only XLSX reports pay for openpyxl

    book = Workbook(write_only=True)
    summary = book.create_sheet("概况")
    summary.append(["陵园", "墓区", "墓位数", "照片合格", "照片不合格", "无照片"])
    for place in found.sections:
        counts = [place.count(s) for s in ("good", "poor", "none")]
        summary.append([place.cemetery, place.section, len(place.tombs), *counts])
    tombs = book.create_sheet("墓位")
    tombs.append(["陵园", "墓区", "墓位", "姓名", "照片", "问题", "照片文件"])
    labels = {"good": "合格", "poor": "不合格", "none": "无"}
    for place in found.sections:
        for t in place.tombs:
            tombs.append([t.cemetery, t.section, t.tomb, t.name, labels[t.status], "; ".join(t.reasons), t.photo])
    loose_records = book.create_sheet("无墓位记录")
    loose_records.append(["编号", "姓名", "陵园"])
    for record in found.records_without_tomb:
        loose_records.append(list(record))
    loose_photos = book.create_sheet("无记录照片")
    loose_photos.append(["照片文件", "原因"])
    for photo in found.photos_without_record:
        loose_photos.append(list(photo))
    with atomic_output(target) as partial:
        book.save(partial)
