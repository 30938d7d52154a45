"""A tour spec drafted from the register: one section's tombs in walking order, a photo shot each, for editors to
adjust. Pure planning over records read once; the CLI writes the YAML atomically.

Walking order is row by row and, within a row, serpentine: odd rows (1, 3, …) by rising tomb number, even rows by
falling number. A visitor filming a section walks to the end of a row and steps into the next row at that same
end; going back to the row's start each time would put a jump cut between every row in the tour.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.register.memorial import tomb_photo
from streamkit.register.models import Martyr
from streamkit.register.public import public_fields
from streamkit.register.record import tomb_label

SHOT_SECONDS = 5.0


@dataclass(frozen=True)
class TombStop:
    martyr_id: int
    name: str
    dates: str
    tomb: str
    photo: Path


@dataclass(frozen=True)
class Draft:
    stops: tuple[TombStop, ...]
    warnings: tuple[str, ...]  # records left out, and why


def _number(text: str) -> tuple[int, str]:
    """A row or tomb number for sorting: numbers as numbers, anything else after them as text."""
    found = re.match(r"\d+", text)
    return (int(found.group()), text) if found else (1 << 30, text)


def walking_order(tombs: list[tuple[str, str, Any]]) -> list[Any]:
    """``(row, number, item)`` in walking order: rows rising, each row serpentine (odd rows up, even rows down)."""
    rows: dict[str, list[tuple[str, Any]]] = {}
    for row, number, item in tombs:
        rows.setdefault(row, []).append((number, item))
    ordered: list[Any] = []
    for index, row in enumerate(sorted(rows, key=_number)):
        in_row = sorted(rows[row], key=lambda pair: _number(pair[0]), reverse=index % 2 == 1)
        ordered += [item for _, item in in_row]
    return ordered


def _dates(shown: dict[str, str]) -> str:
    born, died = shown["born"], shown["died"]
    return f"{born}–{died}" if born and died else died or born


def draft_section(store: ArchiveStore, cemetery: str, section: str) -> Draft:
    """The section's records with a tomb photo in walking order; the others as warnings."""
    warnings: list[str] = []
    found: list[tuple[str, str, TombStop]] = []
    with store.session() as session:
        query = select(Martyr).where(Martyr.cemetery == cemetery, Martyr.section == section.upper())
        for martyr in session.scalars(query.order_by(Martyr.id)):
            tomb = tomb_label(martyr.section, martyr.row, martyr.number)
            shown = public_fields(martyr)
            if shown is None or not shown["name"]:
                warnings.append(f"{tomb}: record {martyr.id} is hidden from the public; left out")
                continue
            photo = tomb_photo(session, martyr.id)
            if photo is None:
                warnings.append(f"{tomb} {martyr.name}: no tomb photo; left out")
                continue
            stop = TombStop(martyr.id, shown["name"], _dates(shown), tomb, Path(photo.path))
            found.append((martyr.row, martyr.number, stop))
    return Draft(tuple(walking_order(found)), tuple(warnings))


def tour_spec(draft: Draft, cemetery: str, section: str, spec_dir: Path) -> dict[str, Any]:
    """The tour spec as YAML data: a title card, a photo stop per tomb (its record named, so the render records the
    moment), an outro. Photo paths are relative to the spec's folder, so the folder can move with its photos."""
    stops = []
    for stop in draft.stops:
        lower_third: dict[str, Any] = {"name": stop.name, "start": 0.5, "duration": SHOT_SECONDS - 1}
        if stop.dates:
            lower_third["detail"] = stop.dates
        stops.append(
            {
                "title": f"{stop.name} {stop.tomb}",
                "martyr": stop.martyr_id,
                "photos": {
                    "paths": [os.path.relpath(stop.photo.resolve(), spec_dir.resolve())],
                    "seconds": SHOT_SECONDS,
                },
                "lower_third": lower_third,
            }
        )
    return {
        "version": 1,
        "media_root": ".",
        "title": {"lines": [cemetery, f"{section.upper()}区"], "duration": 3.0},
        "stops": stops,
        "outro": {"lines": ["英灵永存", "缅怀先烈"], "duration": 3.0},
    }
