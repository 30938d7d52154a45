"""Staff edit a record: the change is checked as an imported row would be, written in one transaction with its audit.

The audit detail names every field that changed with its value before and after, except the private fields
(``family_contact``, ``private_notes``) and the fields withheld from the public before or after the edit: for those
it says only that they changed, so the audit log, which more staff read than the record, never holds a family's
phone number or what a family asked to keep off the site.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.register.models import PRIVATE_FIELDS, Martyr
from streamkit.register.record import MartyrRecord, parse_row

# What the edit form holds, as parse_row's cells: the dates as written, the tomb in its parts.
EDITABLE: tuple[str, ...] = ("name", "sex", "native_place", "born", "died", "unit", "post", "place_of_death")
EDITABLE += (
    "cemetery",
    "section",
    "row",
    "number",
    "biography",
    "source",
    "hidden",
    "hidden_fields",
    "family_contact",
    "private_notes",
)
_COLUMN = {"born": "born_text", "died": "died_text"}
_COLUMN_FIELD = {column: field for field, column in _COLUMN.items()}


class RecordProblems(ArchiveError):
    """The edit was refused; ``problems`` maps each form field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = dict(problems)


def form_values(martyr: Martyr) -> dict[str, Any]:
    """The record as the edit form shows it."""
    values: dict[str, Any] = {f: getattr(martyr, _COLUMN.get(f, f)) for f in EDITABLE}
    values["hidden"] = bool(martyr.hidden)
    return values


def _cells(values: Mapping[str, Any]) -> dict[str, str]:
    cells = {f: str(values.get(f) or "") for f in EDITABLE}
    cells["hidden"] = "是" if values.get("hidden") else "否"
    return cells


def edit_record(session: Session, martyr_id: int, values: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """Apply the form's values to a record and audit them; returns the audit detail. RecordProblems when refused."""
    martyr = session.get(Martyr, martyr_id)
    if martyr is None:
        raise ArchiveError("no such record")
    parsed = parse_row(_cells(values))
    if not isinstance(parsed, MartyrRecord):
        raise RecordProblems({field: message for field, message in reversed(parsed)})
    # The stable key never changes: a later re-import of the file must still find this record.
    record = parsed.model_copy(update={"key": martyr.key})
    if record.tomb_key and record.tomb_key != martyr.tomb_key:
        holder = session.scalar(select(Martyr.name).where(Martyr.tomb_key == record.tomb_key, Martyr.id != martyr_id))
        if holder is not None:
            raise RecordProblems({"number": f"tomb {record.tomb} already holds another record"})
    stored = record.stored()
    withheld = set(filter(None, f"{martyr.hidden_fields},{record.hidden_fields}".split(",")))
    changes: dict[str, Any] = {}
    for column, after in stored.items():
        before = getattr(martyr, column)
        if before == after:
            continue
        setattr(martyr, column, after)
        if column.startswith("search_") or column in ("key", "tomb_key"):
            continue  # derived: the fields they come from are in the detail
        if column.endswith(("_from", "_to")):
            continue  # derived from the date text
        masked = column in PRIVATE_FIELDS or _COLUMN_FIELD.get(column, column) in withheld
        changes[column] = "changed" if masked else {"before": _plain(before), "after": _plain(after)}
    if changes:
        martyr.updated_at = utcnow()
        ArchiveStore.audit(
            session, actor, "martyr.update", f"martyr:{martyr_id}", json.dumps(changes, ensure_ascii=False)
        )
    return changes


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, bool)) or value is None else str(value)
