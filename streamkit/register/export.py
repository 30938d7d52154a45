"""Write the register back out as CSV or XLSX, streamed from the store and published atomically.

The full export carries every field a re-import reads (so export then import changes nothing); the public export
leaves out hidden records, withheld fields and the private fields.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError
from streamkit.media.publish import atomic_output
from streamkit.register.models import PRIVATE_FIELDS, Martyr
from streamkit.register.public import LABELS, public_fields

FULL_LABELS = {"key": "编号"} | LABELS | {"hidden": "隐藏", "hidden_fields": "隐藏字段"}
FULL_LABELS |= {"family_contact": "家属联系方式", "private_notes": "内部备注"}
FORMATS = (".csv", ".xlsx")


def _full_row(martyr: Martyr) -> list[str]:
    values = {f: getattr(martyr, f"{f}_text" if f in ("born", "died") else f) for f in FULL_LABELS if f != "hidden"}
    values["hidden"] = "是" if martyr.hidden else "否"
    return [str(values[f] or "") for f in FULL_LABELS]


def export_rows(store: ArchiveStore, *, public: bool) -> Iterator[list[str]]:
    """The header, then one row per record in id order, read in batches."""
    yield list((LABELS if public else FULL_LABELS).values())
    with store.session() as session:
        for martyr in session.scalars(select(Martyr).order_by(Martyr.id).execution_options(yield_per=1000)):
            if not public:
                yield _full_row(martyr)
            elif (shown := public_fields(martyr)) is not None:
                yield list(shown.values())


def export_register(store: ArchiveStore, target: Path, *, public: bool = False) -> int:
    """Write the register to ``target`` (.csv as UTF-8 with BOM for Excel, or .xlsx); returns the record count."""
    target = Path(target)
    if target.suffix.lower() not in FORMATS:
        raise ConfigError.single(target, f"export writes {' or '.join(FORMATS)} files, not {target.suffix!r}")
    count = -1
    with atomic_output(target) as partial:
        if target.suffix.lower() == ".csv":
            with partial.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                for count, row in enumerate(export_rows(store, public=public)):  # noqa: B007
                    writer.writerow(row)
        else:
            from openpyxl import Workbook  # only XLSX exports pay for openpyxl

            book = Workbook(write_only=True)
            sheet = book.create_sheet("英名录")
            for count, row in enumerate(export_rows(store, public=public)):  # noqa: B007
                sheet.append(row)
            book.save(partial)
    return count


assert not set(PRIVATE_FIELDS) & set(LABELS), "a private field must never have a public label"
