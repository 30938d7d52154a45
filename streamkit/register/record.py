"""One register row parsed into a frozen record, and the stable key a re-import matches it by.

The key, in order of preference: the file's own id column (编号); else the tomb position (cemetery, section, row,
number), which is unique in a cemetery even when two martyrs share a name; else name, native place and death date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from streamkit.register.columns import ALIASES, FIELDS
from streamkit.register.dates import DateTextError, parse_date
from streamkit.register.public import PUBLIC_FIELDS
from streamkit.register.text_forms import name_tokens, place_tokens, simplified

_TOMB_WORDS = re.compile(
    r"^(?P<cemetery>.*?)[\s,，/]*(?P<section>[A-Za-z0-9]+|[一二三四五六七八九十东南西北中甲乙丙丁戊己庚辛]+)区"
    r"[\s,，-]*第?(?P<row>\d+)排[\s,，-]*第?(?P<number>\d+)号?$"
)
_TOMB_CODE = re.compile(r"^(?P<cemetery>.*?)[\s,，/]*(?P<section>[A-Za-z0-9]+)-(?P<row>\d+)-(?P<number>\d+)$")
_POST_ENDINGS = ("长", "员", "士", "兵", "手", "委", "参谋", "书记", "干事", "主任", "司令", "干部", "队员")
_YES = {"是", "1", "true", "yes", "y", "隐藏"}
_NO = {"", "否", "0", "false", "no", "n", "公开"}
_SEX = {"男": "男", "女": "女", "m": "男", "f": "女", "male": "男", "female": "女"}
LIMITS = {"key": 300, "name": 100, "sex": 8, "native_place": 200, "unit": 300, "post": 200, "place_of_death": 300}
LIMITS |= {"cemetery": 200, "section": 60, "row": 20, "number": 20, "source": 500, "family_contact": 300}


_SEARCHED = ("name", "native_place", "place_of_death", "unit", "post")
TOMB_FIELDS = ("cemetery", "section", "row", "number", "tomb_key")
# The record fields each kind of column sets; a tomb is one group, as its key is made of all its parts.
_SETS: dict[str, tuple[str, ...]] = {"born": ("born_text", "born_from", "born_to")}
_SETS |= {"died": ("died_text", "died_from", "died_to"), "unit_post": ("unit", "post"), "record_id": ()}
_SETS |= {part: TOMB_FIELDS for part in ("burial", "cemetery", "section", "row", "number")}


def fields_given(columns: Iterable[str], *, default_cemetery: str = "") -> frozenset[str]:
    """The record fields a file with these columns sets; a re-import leaves the others as stored."""
    given = {"key", *(TOMB_FIELDS if default_cemetery else ())}
    for column in columns:
        given.update(_SETS.get(column, (column,)))
    return frozenset(given)


class MartyrRecord(BaseModel):
    """A martyr as one row of a register file says; the dates keep their text and the range it allows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    name: str
    sex: str = ""
    native_place: str = ""
    born_text: str = ""
    born_from: date | None = None
    born_to: date | None = None
    died_text: str = ""
    died_from: date | None = None
    died_to: date | None = None
    unit: str = ""
    post: str = ""
    place_of_death: str = ""
    cemetery: str = ""
    section: str = ""
    row: str = ""
    number: str = ""
    tomb_key: str | None = None
    biography: str = ""
    source: str = ""
    hidden: bool = False
    hidden_fields: str = ""
    family_contact: str = ""
    private_notes: str = ""

    @property
    def tomb(self) -> str:
        return tomb_label(self.section, self.row, self.number)

    def over(self, stored: Any, given: frozenset[str]) -> MartyrRecord:
        """This record where the file gave a field, the stored record (an object with the same fields) elsewhere."""
        kept = {f: getattr(stored, f) for f in type(self).model_fields if f not in given}
        return self.model_copy(update=kept) if kept else self

    def stored(self) -> dict[str, Any]:
        """The column values, with the derived search text."""
        # A withheld field is left out of the search text: a search that finds a record by it would give it away.
        shown = {f: "" if f in self.hidden_fields.split(",") else getattr(self, f) for f in _SEARCHED}
        # Spaces at both ends, so a LIKE pattern '% term %' (databases without FTS5) matches the first and last token.
        return self.model_dump() | {
            "search_name": f" {name_tokens(shown['name'])} " if shown["name"] else " ",
            "search_place": f" {place_tokens(shown['native_place'], shown['place_of_death'])} ",
            "search_unit": f" {place_tokens(shown['unit'], shown['post'])} ",
        }


def tomb_label(section: str, row: str, number: str) -> str:
    """A tomb position as people write it: ``A区3排12号`` (empty parts left out)."""
    return (f"{section}区" if section else "") + (f"{row}排" if row else "") + (f"{number}号" if number else "")


def split_burial(text: str) -> dict[str, str]:
    """``南山烈士陵园A区3排12号`` or ``南山烈士陵园 A-03-12`` as cemetery, section, row, number; else all cemetery."""
    text = text.strip()
    found = _TOMB_WORDS.match(text) or _TOMB_CODE.match(text)
    if not found:
        return {"cemetery": text}
    return {k: v.strip() for k, v in found.groupdict().items()}


def split_unit_post(text: str) -> dict[str, str]:
    """``新四军三师八旅 连长`` as unit and post when the last word reads as a post; else all unit."""
    words = text.split()
    if len(words) > 1 and simplified(words[-1]).endswith(_POST_ENDINGS):
        return {"unit": " ".join(words[:-1]), "post": words[-1]}
    return {"unit": text.strip()}


def tomb_number(text: str) -> str:
    return str(int(text)) if text.isdigit() else text.upper()


def record_key(record_id: str, tomb_key: str | None, name: str, native_place: str, died_text: str) -> str:
    if record_id:
        return record_id
    if tomb_key:
        return f"tomb:{tomb_key}"
    return f"person:{name}/{native_place}/{died_text}"


def parse_row(cells: Mapping[str, str], *, default_cemetery: str = "") -> MartyrRecord | list[tuple[str, str]]:
    """A row as {field: text}; the record, or (field, problem) pairs for everything wrong with it."""
    values = {f: " ".join(cells.get(f, "").split()) if f != "biography" else cells.get(f, "").strip() for f in FIELDS}
    problems: list[tuple[str, str]] = []
    fields: dict[str, Any] = {}
    for part, combined in (("burial", split_burial), ("unit_post", split_unit_post)):
        for field, value in combined(values[part]).items() if values[part] else ():
            values[field] = values[field] or value
    if not values["name"]:
        problems.append(("name", "missing name"))
    sex = _SEX.get(values["sex"].lower(), None if values["sex"] else "")
    if sex is None:
        problems.append(("sex", f"not 男 or 女: {values['sex']!r}"))
    for which in ("born", "died"):
        try:
            span = parse_date(values[which])
        except DateTextError as exc:
            problems.append((which, str(exc)))
            continue
        fields |= {f"{which}_text": span.text, f"{which}_from": span.earliest, f"{which}_to": span.latest}
    if fields.get("born_from") and fields.get("died_to") and fields["died_to"] < fields["born_from"]:
        problems.append(("died", f"death {values['died']!r} is before birth {values['born']!r}"))
    hidden = values["hidden"].lower()
    if hidden not in _YES | _NO:
        problems.append(("hidden", f"not 是 or 否: {values['hidden']!r}"))
    hidden_fields = _hidden_fields(values["hidden_fields"], problems)
    for field, limit in LIMITS.items():
        if field != "key" and len(values[field]) > limit:
            problems.append((field, f"too long ({len(values[field])} characters, at most {limit})"))
    if problems:
        return problems
    section, row, number = values["section"].upper(), tomb_number(values["row"]), tomb_number(values["number"])
    cemetery = values["cemetery"] or default_cemetery
    tomb_key = f"{cemetery}/{section}/{row}/{number}" if number else None
    key = record_key(values["record_id"], tomb_key, values["name"], values["native_place"], fields["died_text"])
    if len(key) > LIMITS["key"]:
        return [("record_id", f"too long ({len(key)} characters, at most {LIMITS['key']})")]
    return MartyrRecord(
        key=key,
        name=values["name"],
        sex=sex or "",
        native_place=values["native_place"],
        unit=values["unit"],
        post=values["post"],
        place_of_death=values["place_of_death"],
        cemetery=cemetery,
        section=section,
        row=row,
        number=number,
        tomb_key=tomb_key,
        biography=values["biography"],
        source=values["source"],
        hidden=hidden in _YES,
        hidden_fields=hidden_fields,
        family_contact=values["family_contact"],
        private_notes=values["private_notes"],
        **fields,
    )


_WITHHOLDABLE = {alias: f for f in PUBLIC_FIELDS for alias in (f, *ALIASES.get(f, ()))}
_WITHHOLDABLE |= {alias: "born" for alias in ALIASES["born"]} | {alias: "died" for alias in ALIASES["died"]}


def _hidden_fields(text: str, problems: list[tuple[str, str]]) -> str:
    """``籍贯,生平事迹`` or ``native_place,biography`` as field names; an unknown one is a problem."""
    found: list[str] = []
    for word in re.split(r"[,，、;；\s]+", text.strip()) if text else ():
        if word and word not in _WITHHOLDABLE:
            problems.append(("hidden_fields", f"not a public field: {word!r}"))
        elif word:
            found.append(_WITHHOLDABLE[word])
    return ",".join(dict.fromkeys(found))
