"""Offer a tribute and read the counts: tributes from concurrent requests share one write transaction.

A tribute is written with its idempotency key unique, so the same request sent again (a retry after a lost
answer, a reloaded form) finds its row and is answered as before without a second count. The per-client cap is
checked after the insert, inside the same transaction: SQLite holds its write lock from the insert to the commit,
so two requests from one client cannot both slip under the cap; a capped row is deleted again before the commit.
Tributes do not bump the site revision: that would empty every worker's page cache many times a second.

Group commit: each process has one writer (a thread, a greenlet under gunicorn's gevent workers) that takes every
tribute waiting at that moment, writes them in one transaction and wakes each request only after that commit
returned, so a success answer still means stored. Under load a commit carries dozens of tributes for the price of
one; alone, a tribute waits for nobody.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import os
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from streamkit.archive.models import Event
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.models import (
    EventTributeCount,
    Tribute,
    TributeCount,
    TributeDayCount,
    TributeKind,
)
from streamkit.register.models import Martyr

# The day a tribute counts for is the day in the cemeteries' zone, as campaigns count them.
TRIBUTE_ZONE = ZoneInfo("Asia/Shanghai")
MAX_BATCH = 500  # tributes in one transaction at most: bounds how long one commit holds SQLite's write lock
WRITER_IDLE_S = 30.0  # a writer with nothing to do for this long ends; the next tribute starts a new one


class Outcome(enum.StrEnum):
    COUNTED = "counted"
    REPEATED = "repeated"  # the same key again: counted once, answered as before
    CAPPED = "capped"  # this client reached the day's cap for this martyr or event
    NOT_FOUND = "not_found"  # no such martyr or event, or a hidden martyr


@dataclass(frozen=True)
class TributeRequest:
    """A tribute as the site parsed it: who (hashed), for whom, what, and the key that makes a retry harmless.

    For a martyr's page ``martyr_id`` is set; for an event's page ``event_id`` is, and ``martyr_id`` is None.
    """

    key: str
    martyr_id: int | None
    kind: TributeKind
    client: str
    day: date
    event_id: int | None = None

    def __post_init__(self) -> None:
        if (self.martyr_id is None) == (self.event_id is None):
            raise ValueError("a tribute is offered to a martyr or to an event, exactly one of them")


@dataclass(frozen=True)
class TributeAnswer:
    """What a request is answered: the outcome and the counts by kind of the martyr or event, after this tribute."""

    outcome: Outcome
    counts: Mapping[TributeKind, int]


def tribute_day(now: datetime | None = None) -> date:
    """The calendar day (in the cemeteries' zone) a tribute offered at ``now`` (aware, or naive UTC) counts for."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TRIBUTE_ZONE).date()


def client_key(secret: str, address: str, day: date) -> str:
    """A keyed hash of a client address and the day: enough to cap, useless to track anyone across days."""
    return hmac.new(secret.encode(), f"{day.isoformat()}|{address}".encode(), hashlib.sha256).hexdigest()[:32]


def offer_tribute(store: ArchiveStore, tribute: TributeRequest, *, daily_cap: int) -> Outcome:
    """Record one tribute unless its key was seen or its client reached ``daily_cap``; committed when it returns."""
    return offer(store, tribute, daily_cap=daily_cap).outcome


def offer(store: ArchiveStore, tribute: TributeRequest, *, daily_cap: int) -> TributeAnswer:
    """Record one tribute through this process's writer and return once its transaction committed (or failed)."""
    return _writer(store).submit(tribute, daily_cap)


@dataclass
class _Pending:
    tribute: TributeRequest
    daily_cap: int
    done: threading.Event = field(default_factory=threading.Event)
    answer: TributeAnswer | None = None
    error: ArchiveError | None = None


class TributeWriter:
    """One process's writer: batches the tributes waiting at each moment into one transaction (group commit)."""

    def __init__(self, store: ArchiveStore) -> None:
        self.engine = store.engine
        self._waiting: deque[_Pending] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running = False
        self.batches = 0  # transactions committed, for the bench and the tests

    def submit(self, tribute: TributeRequest, daily_cap: int) -> TributeAnswer:
        pending = _Pending(tribute, daily_cap)
        self._waiting.append(pending)
        with self._lock:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="tribute-writer", daemon=True).start()
        self._wake.set()
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.answer is not None
        return pending.answer

    def _run(self) -> None:
        while True:
            if not self._wake.wait(WRITER_IDLE_S):
                with self._lock:
                    if not self._waiting:  # nobody slipped in between the timeout and the lock
                        self._running = False
                        return
            self._wake.clear()  # cleared before taking: a tribute added from here on sets it again
            time.sleep(0)  # let the requests already under way (greenlets, threads) join this batch first
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(MAX_BATCH, len(self._waiting)))]
                self._write(batch)

    def _write(self, batch: list[_Pending]) -> None:
        try:
            self._commit(batch)
        except SQLAlchemyError:
            if len(batch) == 1:
                batch[0].error = ArchiveError("the archive refused the tribute")
                batch[0].done.set()
                return
            # one bad tribute must not cost the others theirs: each again in its own transaction
            for pending in batch:
                self._write([pending])
            return
        except BaseException as exc:  # never leave a request waiting forever
            for pending in batch:
                pending.error = ArchiveError(f"the tribute writer failed: {exc.__class__.__name__}")
                pending.done.set()
            raise
        for pending in batch:
            pending.done.set()  # only now, after the commit: an answer means stored

    def _commit(self, batch: list[_Pending]) -> None:
        with self.engine.connect() as connection:
            try:
                answers = _offer_batch(connection, batch)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        self.batches += 1
        for pending, answer in zip(batch, answers, strict=True):
            pending.answer = answer


_writers: weakref.WeakKeyDictionary[ArchiveStore, tuple[int, TributeWriter]] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def _writer(store: ArchiveStore) -> TributeWriter:
    """The writer of ``store`` in this process (a forked worker gets its own, never its parent's)."""
    with _writers_lock:
        found = _writers.get(store)
        if found is None or found[0] != os.getpid():
            found = (os.getpid(), TributeWriter(store))
            _writers[store] = found
        return found[1]


def _offer_batch(connection: Connection, batch: list[_Pending]) -> list[TributeAnswer]:
    """Write a batch inside one transaction with a fixed number of statements, whatever its size.

    The outcome of each tribute is the one it would get written alone, in batch order: targets looked up, all
    rows inserted (a stored key or a repeat within the batch skipped), the day's count per client and target
    taken with the new rows in, and the rows beyond the cap, the latest first, deleted again.
    """
    statements = _statements(connection.dialect.name)
    tributes = [pending.tribute for pending in batch]
    martyr_ids = sorted({t.martyr_id for t in tributes if t.martyr_id is not None})
    event_ids = sorted({t.event_id for t in tributes if t.event_id is not None})
    places: dict[tuple[bool, int], str] = {}
    if martyr_ids:
        places |= {(False, i): c for i, c in connection.execute(statements.find_martyrs, {"ids": martyr_ids})}
    if event_ids:
        places |= {(True, i): c for i, c in connection.execute(statements.find_events, {"ids": event_ids})}
    now = datetime.now(UTC).replace(tzinfo=None)
    found = [t for t in tributes if (_target(t) in places)]
    rows = [
        {"key": t.key, "martyr_id": t.martyr_id, "event_id": t.event_id, "kind": t.kind.value,
         "cemetery": places[_target(t)], "day": t.day, "client": t.client, "created_at": now}
        for t in found
    ]  # fmt: skip
    inserted: dict[str, int] = {}
    if rows:
        inserted = {key: row_id for row_id, key in connection.execute(statements.add, rows)}
    outcomes: list[Outcome] = []
    first_of_key: set[str] = set()
    for t in tributes:
        if _target(t) not in places:
            outcomes.append(Outcome.NOT_FOUND)
        elif t.key in inserted and t.key not in first_of_key:
            first_of_key.add(t.key)
            outcomes.append(Outcome.COUNTED)
        else:
            outcomes.append(Outcome.REPEATED)
    _cap(connection, batch, outcomes, inserted)
    counted = [(t, places[_target(t)]) for t, o in zip(tributes, outcomes, strict=True) if o is Outcome.COUNTED]
    _bump(connection, counted)
    return _answers(connection, tributes, outcomes)


def _target(tribute: TributeRequest) -> tuple[bool, int]:
    """(on an event?, its id): the key the batch looks targets up by."""
    if tribute.event_id is not None:
        return True, tribute.event_id
    assert tribute.martyr_id is not None
    return False, tribute.martyr_id


def _cap(connection: Connection, batch: list[_Pending], outcomes: list[Outcome], inserted: dict[str, int]) -> None:
    """Turn the newest counted tributes of a client, target and day beyond the cap into CAPPED, rows deleted."""
    statements = _statements(connection.dialect.name)
    new = [(i, p.tribute) for i, (p, o) in enumerate(zip(batch, outcomes, strict=True)) if o is Outcome.COUNTED]
    if not new:
        return
    totals: dict[tuple[str, bool, int, date], int] = {}
    for on_event, query in ((False, statements.today_martyrs), (True, statements.today_events)):
        mine = [t for _, t in new if _target(t)[0] is on_event]
        if mine:
            values = {
                "clients": sorted({t.client for t in mine}),
                "ids": sorted({_target(t)[1] for t in mine}),
                "days": sorted({t.day for t in mine}),
            }
            for client, target, day, count in connection.execute(query, values):
                totals[(client, on_event, target, day)] = int(count)
    forget = []
    for index, tribute in reversed(new):  # the latest in the batch are the ones over the cap
        triple = (tribute.client, *_target(tribute), tribute.day)
        if totals.get(triple, 0) > batch[index].daily_cap:
            totals[triple] -= 1
            outcomes[index] = Outcome.CAPPED
            forget.append(inserted[tribute.key])
    if forget:
        connection.execute(statements.forget, {"ids": forget})


def _bump(connection: Connection, counted: list[tuple[TributeRequest, str]]) -> None:
    """Add the batch's counted tributes to the running totals: one upsert per total touched, not per tribute."""
    if not counted:
        return
    statements = _statements(connection.dialect.name)
    martyrs = Counter((t.martyr_id, t.kind.value) for t, _ in counted if t.martyr_id is not None)
    events = Counter((t.event_id, t.kind.value) for t, _ in counted if t.event_id is not None)
    days = Counter((t.day, cemetery) for t, cemetery in counted)
    rows = [{"day": day, "cemetery": cemetery, "n": n} for (day, cemetery), n in sorted(days.items())]
    connection.execute(statements.bump_day, rows)
    if martyrs:
        rows = [{"target": target, "kind": kind, "n": n} for (target, kind), n in sorted(martyrs.items())]
        connection.execute(statements.bump_martyr, rows)
    if events:
        rows = [{"target": target, "kind": kind, "n": n} for (target, kind), n in sorted(events.items())]
        connection.execute(statements.bump_event, rows)


def _answers(connection: Connection, tributes: list[TributeRequest], outcomes: list[Outcome]) -> list[TributeAnswer]:
    """Each request's answer: its outcome and its target's counts as this transaction leaves them."""
    statements = _statements(connection.dialect.name)
    wanted = {_target(t) for t, o in zip(tributes, outcomes, strict=True) if o is not Outcome.NOT_FOUND}
    rows: dict[tuple[bool, int], list[tuple[str, int]]] = {target: [] for target in wanted}
    for on_event, query in ((False, statements.counts_martyrs), (True, statements.counts_events)):
        ids = sorted(target for event, target in wanted if event is on_event)
        if ids:
            for target, kind, count in connection.execute(query, {"ids": ids}):
                rows[(on_event, target)].append((kind, count))
    counts = {target: _by_kind(found) for target, found in rows.items()}
    nothing = _by_kind([])
    return [
        TributeAnswer(o, nothing if o is Outcome.NOT_FOUND else counts[_target(t)])
        for t, o in zip(tributes, outcomes, strict=True)
    ]


def _by_kind(rows: Any) -> dict[TributeKind, int]:
    found = {kind: count for kind, count in rows}
    return {kind: int(found.get(kind.value, 0)) for kind in TributeKind}


@dataclass(frozen=True)
class _Statements:
    find_martyrs: Any
    find_events: Any
    add: Any
    today_martyrs: Any
    today_events: Any
    forget: Any
    bump_martyr: Any
    bump_event: Any
    bump_day: Any
    counts_martyr: Any
    counts_event: Any
    counts_martyrs: Any
    counts_events: Any


# Statements built once per dialect: building them is most of a tribute's cost in Python, far more than SQLite's.
@functools.cache
def _statements(dialect: str) -> _Statements:
    # both dialects spell ON CONFLICT alike, through their own Insert classes
    upsert: Any = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}.get(dialect)
    if upsert is None:
        raise ArchiveError(f"tributes need SQLite or PostgreSQL, not {dialect}")
    day: Any = bindparam("day", type_=Date)
    ids: Any = bindparam("ids", expanding=True)

    def bump(table: Any, target_column: str) -> Any:
        n: Any = bindparam("n")
        values = {target_column: bindparam("target"), "kind": bindparam("kind"), "count": n}
        index = [target_column, "kind"]
        return upsert(table).values(values).on_conflict_do_update(index_elements=index, set_={"count": table.count + n})

    def today(column: Any) -> Any:
        clients: Any = bindparam("clients", expanding=True)
        days: Any = bindparam("days", expanding=True, type_=Date)
        # a superset of the batch's (client, target, day) triples, each counted; the batch picks its own
        where = [Tribute.client.in_(clients), column.in_(ids), Tribute.day.in_(days)]
        return (
            select(Tribute.client, column, Tribute.day, func.count(Tribute.id))
            .where(*where)
            .group_by(Tribute.client, column, Tribute.day)
        )

    return _Statements(
        find_martyrs=select(Martyr.id, Martyr.cemetery).where(Martyr.id.in_(ids), Martyr.hidden.is_(False)),
        find_events=select(Event.id, Event.venue).where(Event.id.in_(ids)),
        # many rows in one statement (SQLAlchemy's "insertmanyvalues"); a stored key is skipped, not an error
        add=upsert(Tribute).on_conflict_do_nothing().returning(Tribute.id, Tribute.key),
        today_martyrs=today(Tribute.martyr_id),
        today_events=today(Tribute.event_id),
        forget=delete(Tribute).where(Tribute.id.in_(ids)),
        bump_martyr=bump(TributeCount, "martyr_id"),
        bump_event=bump(EventTributeCount, "event_id"),
        bump_day=upsert(TributeDayCount)
        .values(day=day, cemetery=bindparam("cemetery"), count=bindparam("n"))
        .on_conflict_do_update(
            index_elements=["day", "cemetery"], set_={"count": TributeDayCount.count + bindparam("n")}
        ),
        counts_martyr=select(TributeCount.kind, TributeCount.count).where(
            TributeCount.martyr_id == bindparam("target")
        ),
        counts_event=select(EventTributeCount.kind, EventTributeCount.count).where(
            EventTributeCount.event_id == bindparam("target")
        ),
        counts_martyrs=select(TributeCount.martyr_id, TributeCount.kind, TributeCount.count).where(
            TributeCount.martyr_id.in_(ids)
        ),
        counts_events=select(EventTributeCount.event_id, EventTributeCount.kind, EventTributeCount.count).where(
            EventTributeCount.event_id.in_(ids)
        ),
    )


def martyr_counts(store: ArchiveStore, martyr_id: int) -> dict[TributeKind, int]:
    """Tributes offered to one martyr, by kind (every kind present, zero where none)."""
    with store.engine.connect() as connection:
        return _by_kind(connection.execute(_statements(connection.dialect.name).counts_martyr, {"target": martyr_id}))


def event_counts(store: ArchiveStore, event_id: int) -> dict[TributeKind, int]:
    """Tributes offered on one event's page, by kind (every kind present, zero where none)."""
    with store.engine.connect() as connection:
        return _by_kind(connection.execute(_statements(connection.dialect.name).counts_event, {"target": event_id}))


def cemetery_counts(store: ArchiveStore, day: date | None = None) -> dict[str, int]:
    """Tributes per cemetery (an event's venue for an event's tributes), over all days or on ``day``."""
    query = (
        select(TributeDayCount.cemetery, func.sum(TributeDayCount.count))
        .group_by(TributeDayCount.cemetery)
        .order_by(TributeDayCount.cemetery)
    )
    if day is not None:
        query = query.where(TributeDayCount.day == day)
    with store.engine.connect() as connection:
        return {cemetery: int(count) for cemetery, count in connection.execute(query).all()}


def daily_counts(store: ArchiveStore, cemetery: str | None = None) -> dict[date, int]:
    """Tributes per day, oldest first, in one cemetery or in all."""
    query = (
        select(TributeDayCount.day, func.sum(TributeDayCount.count))
        .group_by(TributeDayCount.day)
        .order_by(TributeDayCount.day)
    )
    if cemetery is not None:
        query = query.where(TributeDayCount.cemetery == cemetery)
    with store.engine.connect() as connection:
        return {day: int(count) for day, count in connection.execute(query).all()}


@dataclass(frozen=True)
class LiveCounts:
    """What a page shows and refreshes: its martyr's or event's counts, its cemetery's today, everyone's today."""

    counts: Mapping[TributeKind, int]
    cemetery: str
    cemetery_today: int
    today: int
    day: date


def live_counts(
    store: ArchiveStore, *, martyr_id: int | None = None, event_id: int | None = None, day: date | None = None
) -> LiveCounts | None:
    """The live counts of a public martyr's page or an event's page; None when there is no such page."""
    day = day or tribute_day()
    with store.engine.connect() as connection:
        statements = _statements(connection.dialect.name)
        if event_id is not None:
            place = connection.execute(select(Event.venue).where(Event.id == event_id)).first()
            counts_query, target = statements.counts_event, event_id
        elif martyr_id is not None:
            public = (Martyr.id == martyr_id) & Martyr.hidden.is_(False)
            place = connection.execute(select(Martyr.cemetery).where(public)).first()
            counts_query, target = statements.counts_martyr, martyr_id
        else:
            raise ValueError("live counts of a martyr or of an event")
        if place is None:
            return None
        cemetery = str(place[0])
        counts = _by_kind(connection.execute(counts_query, {"target": target}))
        on_day = select(func.coalesce(func.sum(TributeDayCount.count), 0)).where(TributeDayCount.day == day)
        everyone = int(connection.scalar(on_day) or 0)
        here = int(connection.scalar(on_day.where(TributeDayCount.cemetery == cemetery)) or 0)
    return LiveCounts(counts=counts, cemetery=cemetery, cemetery_today=here, today=everyone, day=day)
