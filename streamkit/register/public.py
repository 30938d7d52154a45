"""What of a record the public may see: never the private fields, never a hidden record or a withheld field."""

from __future__ import annotations

from typing import Literal, overload

from streamkit.register.models import Martyr

PUBLIC_FIELDS: tuple[str, ...] = ("name", "sex", "native_place", "born", "died", "unit", "post", "place_of_death")
PUBLIC_FIELDS += ("cemetery", "section", "row", "number", "biography", "source")
LABELS = {
    "name": "姓名",
    "sex": "性别",
    "native_place": "籍贯",
    "born": "出生年月",
    "died": "牺牲时间",
    "unit": "部队",
    "post": "职务",
    "place_of_death": "牺牲地点",
    "cemetery": "陵园",
    "section": "墓区",
    "row": "排",
    "number": "号",
    "biography": "生平事迹",
    "source": "来源",
}


@overload
def public_fields(martyr: Martyr, *, even_hidden: Literal[True]) -> dict[str, str]: ...
@overload
def public_fields(martyr: Martyr, *, even_hidden: bool = False) -> dict[str, str] | None: ...
def public_fields(martyr: Martyr, *, even_hidden: bool = False) -> dict[str, str] | None:
    """The public fields of a record as text (withheld ones blank); None for a hidden record unless staff asked."""
    if martyr.hidden and not even_hidden:
        return None
    withheld = set(filter(None, martyr.hidden_fields.split(",")))
    values = {f: getattr(martyr, f"{f}_text" if f in ("born", "died") else f) for f in PUBLIC_FIELDS}
    return {f: "" if f in withheld else str(v or "") for f, v in values.items()}
