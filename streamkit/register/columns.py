"""Which column of a register file holds which field: Chinese headers and their common variants, or a mapping.

A file's header is matched once, before any row is read; every header problem is reported together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

IGNORE = "-"
# Field -> headers that mean it (compared without spaces, brackets and case). English names are the field names.
ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("编号", "烈士编号", "档案编号", "登记编号", "id", "key"),
    "name": ("姓名", "烈士姓名", "名字"),
    "sex": ("性别",),
    "native_place": ("籍贯", "籍贯地", "出生地", "原籍", "hometown"),
    "born": ("出生年月", "出生日期", "出生时间", "出生年份", "生年", "出生"),
    "died": ("牺牲时间", "牺牲日期", "牺牲年月", "牺牲年份", "卒年", "逝世时间", "牺牲"),
    "unit_post": ("部队及职务", "部队职务", "单位及职务", "生前单位及职务", "部别及职务", "部别职务", "所在部队及职务"),
    "unit": ("部队", "单位", "生前单位", "所在部队", "部别", "部队番号"),
    "post": ("职务", "生前职务", "职别"),
    "place_of_death": ("牺牲地点", "牺牲地", "牺牲地址", "牺牲处"),
    "burial": ("安葬地/墓位", "安葬地墓位", "安葬地点", "安葬地", "安葬位置", "墓位", "安葬处"),
    "cemetery": ("陵园", "安葬陵园", "烈士陵园", "纪念设施"),
    "section": ("墓区", "区", "分区"),
    "row": ("排", "墓排", "排号"),
    "number": ("号", "墓号", "穴号", "墓穴号"),
    "biography": ("生平事迹", "生平", "事迹", "简介", "生平简介", "主要事迹"),
    "source": ("来源", "资料来源", "出处"),
    "hidden": ("隐藏", "不公开"),
    "hidden_fields": ("隐藏字段", "不公开字段"),
    "family_contact": ("家属联系方式", "烈属联系方式", "联系电话", "家属电话"),
    "private_notes": ("内部备注", "备注"),
    IGNORE: ("序号", "photo", "照片"),
}
FIELDS = tuple(f for f in ALIASES if f != IGNORE)


def _fold(header: str) -> str:
    return "".join(header.split()).replace("（", "(").replace("）", ")").strip("()").lower()


_BY_HEADER = {_fold(alias): field for field, aliases in ALIASES.items() for alias in (*aliases, field)}


@dataclass(frozen=True)
class HeaderProblem:
    column: str
    message: str


@dataclass(frozen=True)
class ColumnPlan:
    """The header as found, and for each column the field it holds (``IGNORE`` for columns left out)."""

    headers: tuple[str, ...]
    fields: tuple[str, ...]

    def column_of(self, field: str) -> str:
        """The file's header for a field (what a problem report names)."""
        return self.headers[self.fields.index(field)] if field in self.fields else field


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``--map 'HEADER=field'`` options as a dict; ``HEADER=-`` leaves a column out. ValueError names a bad one."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, field = pair.partition("=")
        field = field.strip()
        if not sep or not header.strip() or (field not in FIELDS and field != IGNORE):
            raise ValueError(f"--map {pair!r} is not HEADER=FIELD with FIELD one of {', '.join(FIELDS)} or -")
        mapping[_fold(header)] = field
    return mapping


def plan_columns(headers: Sequence[str], mapping: Mapping[str, str] | None = None) -> ColumnPlan | list[HeaderProblem]:
    """Match a header row to fields; the problems instead when a column is unknown, doubled, or the name is missing."""
    mapping = mapping or {}
    fields: list[str] = []
    problems: list[HeaderProblem] = []
    for header in headers:
        folded = _fold(header)
        field = mapping.get(folded) or _BY_HEADER.get(folded) or ("" if folded else IGNORE)
        if not field:
            problems.append(HeaderProblem(header, "unknown column; name its field with --map 'HEADER=FIELD' or -"))
        elif field != IGNORE and field in fields:
            problems.append(HeaderProblem(header, f"a second column for {field}"))
        fields.append(field)
    if "name" not in fields:
        problems.append(HeaderProblem("姓名", "no name column (姓名); name it with --map 'HEADER=name'"))
    return problems if problems else ColumnPlan(tuple(headers), tuple(fields))
