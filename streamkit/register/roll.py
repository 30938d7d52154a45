"""The register as a name roll's source: the public names of a cemetery (or one section) in tomb order.

Wherever a name roll takes a register CSV, ``register:`` instead reads the store: ``register:`` alone is every
public record, ``register:南山烈士陵园`` one cemetery, ``register:南山烈士陵园/A`` one section of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.register import ROLL_PREFIX
from streamkit.register.models import Martyr
from streamkit.register.public import public_fields


@dataclass(frozen=True)
class RollSelection:
    """Which records a roll lists; empty strings mean every cemetery or section."""

    cemetery: str = ""
    section: str = ""


@dataclass(frozen=True)
class RollName:
    """One public line of a roll: the name, the years when the dates pin them down, and where the tomb is."""

    name: str
    born: int | None
    died: int | None
    unit: str
    native_place: str
    section: str
    row: str
    number: str


def roll_selection(source: str | Path) -> RollSelection | None:
    """``register:CEMETERY/SECTION`` as a selection; None for anything else (a CSV path)."""
    text = str(source)
    if not text.startswith(ROLL_PREFIX):
        return None
    cemetery, _, section = text.removeprefix(ROLL_PREFIX).strip().partition("/")
    return RollSelection(cemetery.strip(), section.strip().upper())


def roll_names(store: ArchiveStore, selection: RollSelection) -> list[RollName]:
    """The public records of the selection, hidden ones left out, by section, row and number."""
    query = select(Martyr).where(Martyr.hidden.is_(False))
    if selection.cemetery:
        query = query.where(Martyr.cemetery == selection.cemetery)
    if selection.section:
        query = query.where(Martyr.section == selection.section)
    # Rows and numbers are stored without leading zeros, so shorter first then by text is numeric order.
    natural = [func.length(Martyr.row), Martyr.row, func.length(Martyr.number), Martyr.number]
    query = query.order_by(Martyr.cemetery, Martyr.section, *natural, Martyr.id)
    names: list[RollName] = []
    with store.session() as session:
        for martyr in session.scalars(query.execution_options(yield_per=1000)):
            shown = public_fields(martyr, even_hidden=True)  # the query already left hidden records out
            names.append(
                RollName(
                    shown["name"],
                    _year(martyr.born_from, martyr.born_to, shown["born"]),
                    _year(martyr.died_from, martyr.died_to, shown["died"]),
                    shown["unit"],
                    shown["native_place"],
                    shown["section"],
                    shown["row"],
                    shown["number"],
                )
            )
    return names


def _year(earliest: date | None, latest: date | None, shown: str) -> int | None:
    """The year a date pins down ("1947年?" does; "1938年冬" spans two), unless the field is withheld."""
    return earliest.year if shown and earliest and latest and earliest.year == latest.year else None
