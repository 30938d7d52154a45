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

from sqlalchemy import Connection, Date, DateTime, bindparam, delete, func, select
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
                offered = [_offer(connection, p.tribute, p.daily_cap) for p in batch]
                counted = [(p.tribute, cemetery) for p, (outcome, cemetery) in zip(batch, offered, strict=True)
                           if outcome is Outcome.COUNTED]  # fmt: skip
                _bump(connection, counted)
                answers = _answers(connection, batch, [outcome for outcome, _ in offered])
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


def _offer(connection: Connection, tribute: TributeRequest, daily_cap: int) -> tuple[Outcome, str]:
    """Insert one tribute inside the batch's transaction; its outcome, and the cemetery it counts for."""
    statements = _statements(connection.dialect.name)
    on_event = tribute.event_id is not None
    values = {
        "key": tribute.key,
        "target": tribute.event_id if on_event else tribute.martyr_id,
        "kind": tribute.kind.value,
        "day": tribute.day,
        "client": tribute.client,
        "now": datetime.now(UTC).replace(tzinfo=None),
    }
    # RETURNING, not rowcount: with psycopg the rowcount of an INSERT … SELECT said 1 when ON CONFLICT skipped it
    added = connection.execute(statements.add_event if on_event else statements.add_martyr, values).first()
    if added is None:
        seen = connection.scalar(statements.seen, values)
        return (Outcome.REPEATED if seen is not None else Outcome.NOT_FOUND), ""
    today = statements.today_event if on_event else statements.today_martyr
    if (connection.scalar(today, values) or 0) > daily_cap:
        connection.execute(statements.forget, {"id": added.id})
        return Outcome.CAPPED, ""
    return Outcome.COUNTED, str(added.cemetery)


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


def _answers(connection: Connection, batch: list[_Pending], outcomes: list[Outcome]) -> list[TributeAnswer]:
    """Each request's answer: its outcome and its target's counts as this transaction leaves them."""
    statements = _statements(connection.dialect.name)
    seen: dict[tuple[bool, int], Mapping[TributeKind, int]] = {}
    answers = []
    for pending, outcome in zip(batch, outcomes, strict=True):
        tribute = pending.tribute
        on_event = tribute.event_id is not None
        target = tribute.event_id if on_event else tribute.martyr_id
        assert target is not None
        counts = seen.get((on_event, target))
        if counts is None:
            if outcome is Outcome.NOT_FOUND:
                counts = _by_kind([])
            else:
                query = statements.counts_event if on_event else statements.counts_martyr
                counts = _by_kind(connection.execute(query, {"target": target}).all())
                seen[(on_event, target)] = counts
        answers.append(TributeAnswer(outcome, counts))
    return answers


def _by_kind(rows: Any) -> dict[TributeKind, int]:
    found = {kind: count for kind, count in rows}
    return {kind: int(found.get(kind.value, 0)) for kind in TributeKind}


@dataclass(frozen=True)
class _Statements:
    add_martyr: Any
    add_event: Any
    seen: Any
    today_martyr: Any
    today_event: Any
    forget: Any
    bump_martyr: Any
    bump_event: Any
    bump_day: Any
    counts_martyr: Any
    counts_event: Any


# Statements built once per dialect: building them is most of a tribute's cost in Python, far more than SQLite's.
@functools.cache
def _statements(dialect: str) -> _Statements:
    # both dialects spell ON CONFLICT alike, through their own Insert classes
    upsert: Any = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}.get(dialect)
    if upsert is None:
        raise ArchiveError(f"tributes need SQLite or PostgreSQL, not {dialect}")
    key: Any = bindparam("key")
    kind: Any = bindparam("kind")
    client: Any = bindparam("client")
    day, now = bindparam("day", type_=Date), bindparam("now", type_=DateTime)
    # one statement checks the martyr is public (or the event exists), copies its cemetery and skips a stored key
    from_martyr: Any = select(key, Martyr.id, kind, Martyr.cemetery, day, client, now).where(
        Martyr.id == bindparam("target"), Martyr.hidden.is_(False)
    )
    from_event: Any = select(key, Event.id, kind, Event.venue, day, client, now).where(Event.id == bindparam("target"))
    columns = ["key", "kind", "cemetery", "day", "client", "created_at"]
    added = (Tribute.id, Tribute.cemetery)

    def add(target_column: str, rows: Any) -> Any:
        into = [columns[0], target_column, *columns[1:]]
        return upsert(Tribute).from_select(into, rows).on_conflict_do_nothing().returning(*added)

    def bump(table: Any, target_column: str) -> Any:
        n: Any = bindparam("n")
        values = {target_column: bindparam("target"), "kind": bindparam("kind"), "count": n}
        index = [target_column, "kind"]
        return upsert(table).values(values).on_conflict_do_update(index_elements=index, set_={"count": table.count + n})

    def today(column: Any) -> Any:
        same_day = [Tribute.client == client, column == bindparam("target"), Tribute.day == day]
        return select(func.count(Tribute.id)).where(*same_day)

    return _Statements(
        add_martyr=add("martyr_id", from_martyr),
        add_event=add("event_id", from_event),
        seen=select(Tribute.id).where(Tribute.key == key),
        today_martyr=today(Tribute.martyr_id),
        today_event=today(Tribute.event_id),
        forget=delete(Tribute).where(Tribute.id == bindparam("id")),
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
