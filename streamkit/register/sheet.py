"""Read a register file row by row: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX, never loaded whole.

CSV encoding: a BOM means UTF-8; otherwise the first 64 KiB decide between UTF-8 and GB18030 (the superset of GBK
that Chinese Excel writes), unless the caller names one.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from streamkit.errors import ConfigError

SNIFF_BYTES = 65536


@dataclass(frozen=True)
class SheetRow:
    """One row: its number as a spreadsheet shows it (the header is row 1; a CSV cell may span lines) and its cells."""

    number: int
    cells: tuple[str, ...]


def sniff_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person reads in it (whole numbers without ``.0``, dates as ``1947-03-05``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_sheet(path: Path, encoding: str | None = None) -> tuple[tuple[str, ...], Iterator[SheetRow]]:
    """The header and an iterator over the data rows; ConfigError when the file cannot be opened or is empty."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError.single(path, "file not found")
    rows = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path, encoding)
    try:
        header = next(rows)
    except StopIteration:
        raise ConfigError.single(path, "the file is empty") from None
    return tuple(c.strip() for c in header.cells), (r for r in rows if any(r.cells))


def _csv_rows(path: Path, encoding: str | None) -> Iterator[SheetRow]:
    encoding = encoding or sniff_encoding(path)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError.single(path, f"unknown encoding {encoding!r}") from None
    with path.open("rb") as raw:
        # Decoded line by line (no multi-byte character of UTF-8 or GB18030 holds a newline byte), so a bad byte
        # is reported in the row that has it, not somewhere in a read-ahead buffer.
        lines = (line.decode(encoding) for line in raw)
        number = 0
        try:
            for number, cells in enumerate(csv.reader(lines), start=1):
                yield SheetRow(number, tuple(cells))
        except UnicodeDecodeError:
            raise ConfigError.single(path, f"not {encoding} text", line=number + 1) from None
        except csv.Error as exc:
            raise ConfigError.single(path, f"not CSV: {exc}", line=number + 1) from None


def _xlsx_rows(path: Path) -> Iterator[SheetRow]:
    from openpyxl import load_workbook  # only XLSX imports pay for openpyxl

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a broken file
        raise ConfigError.single(path, f"cannot read as XLSX: {exc.__class__.__name__}") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield SheetRow(number, tuple(cell_text(v) for v in values))
    finally:
        book.close()
