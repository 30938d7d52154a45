"""Import a register file into the store: streamed in batches, all in one transaction, every problem reported.

A row is *added* when its key is new, *changed* when a field differs, *unchanged* otherwise (and then not written,
so a re-import of the same file changes nothing). With any bad row nothing is written unless the caller keeps the
good rows. A dry run goes through the very same steps and rolls back.

Keys and tomb positions already seen in the file go into a temporary table, not a Python set, so memory stays flat
however long the file is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError, ConfigProblem
from streamkit.register.columns import IGNORE, ColumnPlan, plan_columns
from streamkit.register.models import Martyr
from streamkit.register.record import MartyrRecord, fields_given, parse_row
from streamkit.register.sheet import SheetRow, read_sheet

BATCH_ROWS = 1000
COMPARED = tuple(MartyrRecord.model_fields)
MARTYRS = cast(Table, Martyr.__table__)
_SEEN = Table(
    "register_import_seen",
    MetaData(),
    Column("kind", String(1), primary_key=True),
    Column("value", String(300), primary_key=True),
    Column("row", Integer),
    prefixes=["TEMPORARY"],
)


class ImportRejected(ConfigError):
    """The file has bad rows and the good ones were not asked for: nothing was written."""


@dataclass(frozen=True)
class Change:
    """One record the import adds or changes (for a dry run's listing)."""

    kind: str  # "added" or "changed"
    row: int
    key: str
    name: str
    fields: tuple[str, ...] = ()


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[ConfigProblem] = field(default_factory=list)
    written: bool = False

    @property
    def skipped_rows(self) -> int:
        return len({p.line for p in self.problems})

    def summary(self) -> str:
        text = f"added {self.added}, changed {self.changed}, unchanged {self.unchanged}"
        if self.problems:
            text += f", {self.skipped_rows} bad row{'s' if self.skipped_rows != 1 else ''} skipped"
        return text + ("" if self.written else " (nothing written)")


class _RollBack(Exception):
    """Ends the transaction without writing (dry run, nothing to change, or rejected rows)."""


Parsed = list[tuple[int, MartyrRecord]]  # the good rows of a batch with their row numbers


@dataclass
class _Job:
    """One import: the file, how its columns map, what it sets, and the report being filled in."""

    path: Path
    plan: ColumnPlan
    default_cemetery: str
    report: ImportReport
    on_change: Callable[[Change], None] | None

    @property
    def given(self) -> frozenset[str]:
        return fields_given(self.plan.fields, default_cemetery=self.default_cemetery)

    def problem(self, row: int, column: str, message: str) -> None:
        self.report.problems.append(ConfigProblem(str(self.path), row, column, message))

    def tell(self, change: Change) -> None:
        if self.on_change is not None:
            self.on_change(change)


def _batches(rows: Iterator[SheetRow], size: int) -> Iterator[list[SheetRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def import_register(
    store: ArchiveStore,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    default_cemetery: str = "",
    keep_good_rows: bool = False,
    dry_run: bool = False,
    on_change: Callable[[Change], None] | None = None,
) -> ImportReport:
    """Import ``path``; ImportRejected (listing every bad row) when rows are bad and ``keep_good_rows`` is off."""
    header, rows = read_sheet(path, encoding)
    plan = plan_columns(header, mapping)
    if isinstance(plan, list):
        raise ImportRejected([ConfigProblem(str(path), 1, p.column, p.message) for p in plan])
    report = ImportReport()
    job = _Job(path, plan, default_cemetery, report, on_change)
    try:
        with store.transaction() as session:
            _prepare_seen(session)
            for batch in _batches(rows, BATCH_ROWS):
                _apply(session, job, _parse(job, batch))
            session.execute(_SEEN.delete())
            if dry_run or (report.problems and not keep_good_rows) or not (report.added or report.changed):
                raise _RollBack
            report.written = True
    except _RollBack:
        pass
    report.problems.sort(key=lambda p: p.line or 0)  # stable: a row's problems keep their column order
    if report.problems and not keep_good_rows:
        raise ImportRejected(report.problems)
    return report


def _prepare_seen(session: Session) -> None:
    _SEEN.create(session.connection(), checkfirst=True)
    session.execute(delete(_SEEN))


def _parse(job: _Job, batch: Sequence[SheetRow]) -> Parsed:
    parsed: Parsed = []
    width = len(job.plan.headers)
    for row in batch:
        cells = {f: c for f, c in zip(job.plan.fields, row.cells, strict=False) if f != IGNORE}
        result = parse_row(cells, default_cemetery=job.default_cemetery)
        if len(row.cells) > width and any(c.strip() for c in row.cells[width:]):
            result = (result if isinstance(result, list) else []) + [("", "more cells than the header has columns")]
        if isinstance(result, list):
            for field_name, message in result:
                job.problem(row.number, job.plan.column_of(field_name), message)
        else:
            parsed.append((row.number, result))
    return parsed


def _duplicates(session: Session, parsed: Parsed) -> dict[tuple[str, str], int]:
    """(kind, value) of this batch already seen earlier in the file or the batch -> the first row that had it."""
    wanted = [("k", r.key) for _, r in parsed] + [("t", r.tomb_key) for _, r in parsed if r.tomb_key]
    earlier: dict[tuple[str, str], int] = {}
    for kind in ("k", "t"):
        values = [v for k, v in wanted if k == kind]
        query = select(_SEEN.c.value, _SEEN.c.row).where(_SEEN.c.kind == kind, _SEEN.c.value.in_(values))
        earlier |= {(kind, v): row for v, row in session.execute(query)}
    return earlier


def _apply(session: Session, job: _Job, parsed: Parsed) -> None:
    if not parsed:
        return
    seen = _duplicates(session, parsed)
    keys = [r.key for _, r in parsed]
    tombs = [r.tomb_key for _, r in parsed if r.tomb_key]
    stored = {m.key: m for m in session.execute(select(MARTYRS).where(MARTYRS.c.key.in_(keys)))}
    holders = {
        t: k for t, k in session.execute(select(MARTYRS.c.tomb_key, MARTYRS.c.key).where(MARTYRS.c.tomb_key.in_(tombs)))
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    new_seen: list[dict[str, Any]] = []
    now = utcnow()
    given = job.given
    for number, record in parsed:
        problem = _conflict(job.plan, record, seen, holders)
        if problem:
            job.problem(number, *problem)
            continue
        seen[("k", record.key)] = number
        new_seen.append({"kind": "k", "value": record.key, "row": number})
        if record.tomb_key:
            seen[("t", record.tomb_key)] = number
            new_seen.append({"kind": "t", "value": record.tomb_key, "row": number})
        old = stored.get(record.key)
        if old is None:
            inserts.append(record.stored() | {"created_at": now, "updated_at": now})
            job.report.added += 1
            job.tell(Change("added", number, record.key, record.name))
            continue
        record = record.over(old, given)  # columns the file does not have keep what is stored
        differing = tuple(f for f in COMPARED if getattr(old, f) != getattr(record, f))
        if not differing:
            job.report.unchanged += 1
            continue
        updates.append(record.stored() | {"_id": old.id, "updated_at": now})
        job.report.changed += 1
        job.tell(Change("changed", number, record.key, record.name, differing))
    _write(session, inserts, updates, new_seen)


def _conflict(
    plan: ColumnPlan, record: MartyrRecord, seen: Mapping[tuple[str, str], int], holders: Mapping[str, str]
) -> tuple[str, str] | None:
    """(column, problem) when the record repeats an earlier row or takes a tomb another record holds."""
    tomb_column = plan.column_of("burial" if "burial" in plan.fields else "number")
    if record.tomb_key and ("t", record.tomb_key) in seen:
        first = seen["t", record.tomb_key]
        return tomb_column, f"duplicate tomb position {record.cemetery} {record.tomb} (also row {first})"
    if ("k", record.key) in seen:
        if "record_id" in plan.fields and record.key == _column_id(record):
            return plan.column_of("record_id"), f"duplicate id {record.key!r} (also row {seen['k', record.key]})"
        return plan.column_of("name"), (
            f"same name, native place and death as row {seen['k', record.key]}; "
            "add an id column (编号) or the tomb position to tell them apart"
        )
    holder = holders.get(record.tomb_key or "")
    if holder is not None and holder != record.key:
        return tomb_column, f"tomb position {record.cemetery} {record.tomb} already holds record {holder!r}"
    return None


def _column_id(record: MartyrRecord) -> str:
    return "" if record.key.startswith(("tomb:", "person:")) else record.key


def _write(session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]], seen: Iterable[Any]) -> None:
    if inserts:
        session.execute(insert(MARTYRS), inserts)
    if updates:
        values: dict[str, Any] = {c: bindparam(c) for c in updates[0] if c != "_id"}
        session.execute(update(MARTYRS).where(MARTYRS.c.id == bindparam("_id")).values(values), updates)
    if seen := list(seen):
        session.execute(insert(_SEEN), seen)
