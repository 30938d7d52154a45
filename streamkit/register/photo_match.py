"""Match tomb photos to records: by a mapping file, else by the file name (a register id, a tomb position or a name).

Nothing is guessed: a name or a position that two records share is ``ambiguous`` with both candidates listed, and
a person decides; a photo nothing points to is ``unmatched``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from streamkit.errors import ConfigError, ConfigProblem
from streamkit.register.models import Martyr
from streamkit.register.record import split_burial, tomb_number
from streamkit.register.text_forms import simplified

MAPPING_HEADERS = {"照片", "文件", "文件名", "photo", "file"}


@dataclass(frozen=True)
class PhotoMatch:
    """How one photo was matched: ``match`` is matched, ambiguous or unmatched."""

    match: str
    method: str = ""
    martyr_id: int | None = None
    candidates: tuple[int, ...] = ()


class RegisterIndex:
    """The register's ids, tomb positions and names, read once, to match many photos against."""

    def __init__(self, session: Session, cemetery: str = "") -> None:
        self.by_key: dict[str, int] = {}
        self.by_tomb: dict[tuple[str, str, str], list[tuple[int, str]]] = defaultdict(list)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        columns = (Martyr.id, Martyr.key, Martyr.name, Martyr.cemetery, Martyr.section, Martyr.row, Martyr.number)
        query = select(*columns).order_by(Martyr.id)
        if cemetery:
            query = query.where(Martyr.cemetery == cemetery)
        for martyr_id, key, name, cemetery_of, section, row, number in session.execute(query):
            self.by_key[key] = martyr_id
            if number:
                self.by_tomb[(section, row, number)].append((martyr_id, cemetery_of))
            self.by_name[simplified(name)].append(martyr_id)

    def candidates(self, text: str) -> tuple[str, tuple[int, ...]]:
        """The method and the record ids ``text`` (a file stem or a mapping cell) points to."""
        text = text.strip()
        if text in self.by_key:
            return "key", (self.by_key[text],)
        burial = split_burial(text)
        if "number" in burial:
            tomb = (burial["section"].upper(), tomb_number(burial["row"]), tomb_number(burial["number"]))
            places = self.by_tomb.get(tomb, [])
            return "position", tuple(i for i, c in places if not burial["cemetery"] or c == burial["cemetery"])
        return "name", tuple(self.by_name.get(simplified(text), ()))

    def match(self, photo: Path, mapping: Mapping[str, str]) -> PhotoMatch:
        mapped = mapping.get(photo.name)
        method, found = self.candidates(photo.stem if mapped is None else mapped)
        method = "mapping" if mapped is not None else method
        if len(found) == 1:
            return PhotoMatch("matched", method, found[0])
        return PhotoMatch("ambiguous", method, None, found) if found else PhotoMatch("unmatched", method)


def read_mapping(path: Path, photos: set[str]) -> dict[str, str]:
    """A CSV (UTF-8 or GB18030) of photo file name, then record: a register id, tomb position or name.

    Every bad row is reported at once; a first row whose first cell is a header word (照片, file, …) is skipped.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError.single(path, f"cannot read the mapping: {exc.strerror or exc.__class__.__name__}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel in a Chinese locale saves CSV as GBK, which GB18030 contains
        text = data.decode("gb18030", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if rows and rows[0] and rows[0][0].strip().lower() in MAPPING_HEADERS:
        rows = [[], *rows[1:]]
    mapping: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for line, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != 2 or not all(cells):
            problems.append(ConfigProblem(str(path), line, "", "expected two cells: photo file, record"))
        elif cells[0] not in photos:
            problems.append(ConfigProblem(str(path), line, "", f"no photo {cells[0]!r} in the folder"))
        elif cells[0] in mapping:
            problems.append(ConfigProblem(str(path), line, "", f"photo {cells[0]!r} mapped twice"))
        else:
            mapping[cells[0]] = cells[1]
    if problems:
        raise ConfigError(problems)
    return mapping
