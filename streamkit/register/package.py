"""The package the city bureau asks for: one photo per tomb, renamed the same way everywhere, with an XLSX index.

Names read district, cemetery, tomb position and name (``历下区_南山烈士陵园_A-03-12_王志国.jpg``), so the files sort
by place. A photo stored turned (an EXIF orientation) is written upright, since not every viewer reads the tag;
the others are copied byte for byte. The ZIP is written beside the target and renamed into place.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps
from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError, ConfigProblem
from streamkit.media.publish import atomic_output
from streamkit.register.coverage import best_photo
from streamkit.register.models import Martyr, TombPhoto

INDEX_NAME = "索引.xlsx"
INDEX_HEADER = ["文件名", "区县", "陵园", "墓区", "墓位", "姓名", "性别", "籍贯", "牺牲时间", "照片质量", "原文件"]
_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


@dataclass(frozen=True)
class PackedPhoto:
    """One photo of the package: where it comes from, its name in the ZIP and its index row."""

    source: Path
    orientation: int
    name: str
    index_row: tuple[str, ...]


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-")


def position_code(section: str, row: str, number: str) -> str:
    """``A-03-12``: rows and numbers padded so that names sort in walking order."""
    return "-".join(p.zfill(2) if p.isdigit() else p for p in (section, row, number) if p)


def package_name(district: str, martyr: Martyr, suffix: str) -> str:
    """The file name in the package: district, cemetery, tomb position and name, joined by ``_``."""
    parts = (district, martyr.cemetery, position_code(martyr.section, martyr.row, martyr.number), martyr.name)
    return "_".join(_safe(p) for p in parts if _safe(p)) + suffix.lower()


def plan_package(store: ArchiveStore, district: str, cemetery: str = "") -> list[PackedPhoto]:
    """The best photo of every record that has one, in cemetery and tomb order; unique names in the ZIP."""
    with store.session() as session:
        photos = list(session.scalars(select(TombPhoto).where(TombPhoto.match == "matched").order_by(TombPhoto.id)))
        names = {p.id: Path(p.path).name for p in session.scalars(select(TombPhoto))}
        by_record: dict[int, list[TombPhoto]] = defaultdict(list)
        for photo in photos:
            if photo.martyr_id is not None:
                by_record[photo.martyr_id].append(photo)
        query = select(Martyr).where(Martyr.id.in_(list(by_record)))
        records = list(session.scalars(query.where(Martyr.cemetery == cemetery) if cemetery else query))
    records.sort(key=lambda m: (m.cemetery, position_code(m.section, m.row.zfill(4), m.number.zfill(4)), m.id))
    planned: list[PackedPhoto] = []
    taken: set[str] = set()
    for martyr in records:
        chosen = best_photo(by_record[martyr.id], names)
        assert chosen is not None  # every record here has a photo
        photo, reasons = chosen
        source = Path(photo.path)
        name = package_name(district, martyr, source.suffix)
        if name in taken:  # two records of one name with no tomb position
            name = f"{Path(name).stem}_{martyr.id}{source.suffix.lower()}"
        taken.add(name)
        tomb = position_code(martyr.section, martyr.row, martyr.number)
        quality = "; ".join(reasons) or "合格"
        row = (name, district, martyr.cemetery, martyr.section, tomb, martyr.name, martyr.sex, martyr.native_place,
               martyr.died_text, quality, source.name)  # fmt: skip
        planned.append(PackedPhoto(source, photo.orientation, name, row))
    return planned


def _upright(photo: PackedPhoto) -> bytes:
    if photo.orientation == 1:
        return photo.source.read_bytes()
    with Image.open(photo.source) as image:
        turned = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        turned.save(out, format=image.format or "JPEG", quality=95)
        return out.getvalue()


def _index_xlsx(planned: list[PackedPhoto]) -> bytes:
    from openpyxl import Workbook  # only the package pays for openpyxl

    book = Workbook(write_only=True)
    sheet = book.create_sheet("索引")
    sheet.append(INDEX_HEADER)
    for photo in planned:
        sheet.append(list(photo.index_row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _verify_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        if archive.testzip() is not None:
            raise ConfigError.single(path, "the package did not verify")


def write_package(store: ArchiveStore, target: Path, district: str, cemetery: str = "") -> int:
    """Write the bureau's ZIP to ``target``; returns the photo count. Missing photo files fail before writing."""
    if not district.strip():
        raise ConfigError.single(target, "a district is needed to name the photos")
    planned = plan_package(store, district.strip(), cemetery)
    missing = [
        ConfigProblem(str(p.source), None, "", "photo file is missing") for p in planned if not p.source.is_file()
    ]
    if missing:
        raise ConfigError(missing)
    with atomic_output(target, _verify_zip) as partial, zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
        # JPEGs do not compress further; storing them keeps the package quick to write and to open.
        for photo in planned:
            archive.writestr(photo.name, _upright(photo))
        archive.writestr(INDEX_NAME, _index_xlsx(planned), compress_type=zipfile.ZIP_DEFLATED)
    return len(planned)
