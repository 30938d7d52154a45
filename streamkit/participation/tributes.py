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
import json
import os
import sqlite3
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select

from streamkit.archive.models import Event
from streamkit.archive.store import BUSY_TIMEOUT_MS, ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.models import (
    EventTributeCount,
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


@functools.lru_cache(maxsize=4096)  # a visitor taps several times: the same hash, computed once
def client_key(secret: str, address: str, day: date) -> str:
    """A keyed hash of a client address and the day: enough to cap, useless to track anyone across days."""
    return hmac.new(secret.encode(), f"{day.isoformat()}|{address}".encode(), hashlib.sha256).hexdigest()[:32]


def offer_tribute(store: ArchiveStore, tribute: TributeRequest, *, daily_cap: int) -> Outcome:
    """Record one tribute unless its key was seen or its client reached ``daily_cap``; committed when it returns."""
    return offer(store, tribute, daily_cap=daily_cap).outcome


def offer(store: ArchiveStore, tribute: TributeRequest, *, daily_cap: int) -> TributeAnswer:
    """Record one tribute through this process's writer and return once its transaction committed (or failed)."""
    return _writer(store).submit(tribute, daily_cap)


class _Latch:
    """Set once, waited for once: a lock held from the start, released by the writer. Lighter than an Event (one
    lock, not a condition and its waiters' locks), which counts when every tribute makes one."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        if self._lock.locked():
            self._lock.release()

    def is_set(self) -> bool:
        return not self._lock.locked()

    def wait(self) -> None:
        self._lock.acquire()
        self._lock.release()


@dataclass
class _Pending:
    tribute: TributeRequest
    daily_cap: int
    done: _Latch = field(default_factory=_Latch)
    answer: TributeAnswer | None = None
    error: ArchiveError | None = None


class TributeWriter:
    """One process's writer: batches the tributes waiting at each moment into one transaction (group commit)."""

    def __init__(self, store: ArchiveStore) -> None:
        self.engine = store.engine
        self._sqlite: sqlite3.Connection | None = None  # SQLite: the writer's own connection
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
        except Exception:
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
        sql = _sql(self.engine.dialect.name)
        connection: Any = self._sqlite_connection() if sql.dialect == "sqlite" else self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                if sql.dialect == "sqlite":
                    _begin_immediate(cursor)
                answers = _offer_batch(cursor, sql, batch)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
        finally:
            if connection is not self._sqlite:
                connection.close()  # back to the pool
        self.batches += 1
        for pending, answer in zip(batch, answers, strict=True):
            pending.answer = answer

    def _sqlite_connection(self) -> sqlite3.Connection:
        """The writer's own SQLite connection, which never waits inside SQLite for the write lock (see below)."""
        if self._sqlite is None:
            database = self.engine.url.database or ":memory:"
            connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
            for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
                connection.execute(f"PRAGMA {pragma}")
            self._sqlite = connection
        return self._sqlite


def _begin_immediate(cursor: sqlite3.Cursor) -> None:
    """Take SQLite's write lock, waiting for another process's writer by ``time.sleep``, not inside SQLite.

    SQLite's own busy handler sleeps in C: under gunicorn's gevent workers that stops every request of the
    worker for as long as the other worker's batch holds the lock. ``time.sleep`` is gevent's there: the wait
    yields, and the worker's other requests are read and queued for the next batch meanwhile.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.0005
    while True:
        try:
            cursor.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.008)


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


def _offer_batch(cursor: Any, sql: _WriteSql, batch: list[_Pending]) -> list[TributeAnswer]:
    """Write a batch inside one transaction with a fixed number of statements, whatever its size.

    The outcome of each tribute is the one it would get written alone, in batch order: targets looked up, all
    rows inserted (a stored key or a repeat within the batch skipped), the day's count per client and target
    taken with the new rows in, and the rows beyond the cap, the latest first, deleted again.
    """
    tributes = [pending.tribute for pending in batch]
    martyr_ids = sorted({t.martyr_id for t in tributes if t.martyr_id is not None})
    event_ids = sorted({t.event_id for t in tributes if t.event_id is not None})
    places: dict[tuple[bool, int], str] = {}
    if martyr_ids:
        places |= {(False, i): c for i, c in cursor.execute(sql.find_martyrs, (sql.many(martyr_ids),)).fetchall()}
    if event_ids:
        places |= {(True, i): c for i, c in cursor.execute(sql.find_events, (sql.many(event_ids),)).fetchall()}
    found = [t for t in tributes if (_target(t) in places)]
    if sql.lock and found:
        # PostgreSQL reads what others committed, not what they are writing: without this, two workers could each
        # count a client's day without the other's new rows and both let one past the cap. SQLite's write lock,
        # taken at BEGIN, already orders the batches. Sorted, so two batches never wait on each other in a circle.
        cursor.execute(sql.lock, (sorted({_cap_lock_key(t) for t in found}),)).fetchall()
    now = sql.moment(datetime.now(UTC).replace(tzinfo=None))
    inserted: dict[str, int] = {}
    if found:
        rows = [
            value
            for t in found
            for value in (
                t.key,
                t.martyr_id,
                t.event_id,
                t.kind.value,
                places[_target(t)],
                sql.day(t.day),
                t.client,
                now,
            )
        ]
        inserted = {key: row_id for row_id, key in cursor.execute(_add_sql(sql.dialect, len(found)), rows).fetchall()}
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
    _cap(cursor, sql, batch, outcomes, inserted)
    counted = [(t, places[_target(t)]) for t, o in zip(tributes, outcomes, strict=True) if o is Outcome.COUNTED]
    _bump(cursor, sql, counted)
    answers = _answers(cursor, sql, tributes, outcomes)
    _bump_days(cursor, sql, counted)
    return answers


def _target(tribute: TributeRequest) -> tuple[bool, int]:
    """(on an event?, its id): the key the batch looks targets up by."""
    if tribute.event_id is not None:
        return True, tribute.event_id
    assert tribute.martyr_id is not None
    return False, tribute.martyr_id


def _cap_lock_key(tribute: TributeRequest) -> int:
    """A signed 64-bit number for the (client, target, day) a cap counts: what PostgreSQL's advisory locks take."""
    triple = f"{tribute.client}|{_target(tribute)}|{tribute.day.isoformat()}".encode()
    return int.from_bytes(hashlib.blake2b(triple, digest_size=8).digest(), "big", signed=True)


def _cap(cursor: Any, sql: _WriteSql, batch: list[_Pending], outcomes: list[Outcome], inserted: dict[str, int]) -> None:
    """Turn the newest counted tributes of a client, target and day beyond the cap into CAPPED, rows deleted."""
    new = [(i, p.tribute) for i, (p, o) in enumerate(zip(batch, outcomes, strict=True)) if o is Outcome.COUNTED]
    if not new:
        return
    totals: dict[tuple[str, bool, int, date], int] = {}
    for on_event, query in ((False, sql.today_martyrs), (True, sql.today_events)):
        mine = [t for _, t in new if _target(t)[0] is on_event]
        if mine:
            triples = sorted({(t.client, _target(t)[1], t.day) for t in mine})
            for client, target, day, count in cursor.execute(query, sql.triples(triples)).fetchall():
                totals[(client, on_event, target, _as_date(day))] = int(count)
    forget = []
    for index, tribute in reversed(new):  # the latest in the batch are the ones over the cap
        triple = (tribute.client, *_target(tribute), tribute.day)
        if totals.get(triple, 0) > batch[index].daily_cap:
            totals[triple] -= 1
            outcomes[index] = Outcome.CAPPED
            forget.append(inserted[tribute.key])
    if forget:
        cursor.execute(sql.forget, (sql.many(forget),))


def _bump(cursor: Any, sql: _WriteSql, counted: list[tuple[TributeRequest, str]]) -> None:
    """Add the batch's counted tributes to the martyrs' and events' running totals: one upsert per total touched."""
    martyrs = Counter((t.martyr_id, t.kind.value) for t, _ in counted if t.martyr_id is not None)
    events = Counter((t.event_id, t.kind.value) for t, _ in counted if t.event_id is not None)
    if martyrs:
        cursor.executemany(sql.bump_martyr, [(target, kind, n) for (target, kind), n in sorted(martyrs.items())])
    if events:
        cursor.executemany(sql.bump_event, [(target, kind, n) for (target, kind), n in sorted(events.items())])


def _bump_days(cursor: Any, sql: _WriteSql, counted: list[tuple[TributeRequest, str]]) -> None:
    """Add them to the day's total per cemetery: the batch's last statement before its commit.

    Every batch of the day updates the same few rows. On PostgreSQL the row stays locked until the commit, and
    another worker's batch waits for it; taken last, it is held for the commit alone.
    """
    days = Counter((t.day, cemetery) for t, cemetery in counted)
    if days:
        rows = [(sql.day(day), cemetery, n) for (day, cemetery), n in sorted(days.items())]
        cursor.executemany(sql.bump_day, rows)


def _answers(
    cursor: Any, sql: _WriteSql, tributes: list[TributeRequest], outcomes: list[Outcome]
) -> list[TributeAnswer]:
    """Each request's answer: its outcome and its target's counts as this transaction leaves them."""
    wanted = {_target(t) for t, o in zip(tributes, outcomes, strict=True) if o is not Outcome.NOT_FOUND}
    rows: dict[tuple[bool, int], list[tuple[str, int]]] = {target: [] for target in wanted}
    for on_event, query in ((False, sql.counts_martyrs), (True, sql.counts_events)):
        ids = sorted(target for event, target in wanted if event is on_event)
        if ids:
            for target, kind, count in cursor.execute(query, (sql.many(ids),)).fetchall():
                rows[(on_event, target)].append((kind, count))
    counts = {target: _by_kind(found) for target, found in rows.items()}
    nothing = _by_kind([])
    return [
        TributeAnswer(o, nothing if o is Outcome.NOT_FOUND else counts[_target(t)])
        for t, o in zip(tributes, outcomes, strict=True)
    ]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass(frozen=True)
class _WriteSql:
    """The writer's statements in one database's words, run on its driver's cursor with nothing between.

    Written out rather than built with SQLAlchemy: binding and running a built statement cost several times
    what the database itself spends on a batch, and the writer runs on the hottest path of the site.
    """

    dialect: str
    lock: str | None  # PostgreSQL: the advisory locks of the caps a batch counts
    find_martyrs: str
    find_events: str
    today_martyrs: str
    today_events: str
    forget: str
    bump_martyr: str
    bump_event: str
    bump_day: str
    counts_martyrs: str
    counts_events: str

    def many(self, values: list[Any]) -> Any:
        """A list as one parameter: SQLite reads it as JSON (``json_each``), PostgreSQL as an array."""
        return json.dumps(values) if self.dialect == "sqlite" else values

    def triples(self, triples: list[tuple[str, int, date]]) -> tuple[Any, Any, Any]:
        """The (client, target, day) triples a cap counts, as the ``today`` statements take them."""
        clients, targets, days = zip(*triples, strict=True)
        if self.dialect == "sqlite":  # each column's values: SQLite searches the index for their combinations
            return (
                self.many(sorted(set(clients))),
                self.many(sorted(set(targets))),
                self.many(sorted({*map(self.day, days)})),
            )
        return list(clients), list(targets), list(days)

    def day(self, day: date) -> Any:
        return day.isoformat() if self.dialect == "sqlite" else day

    def moment(self, moment: datetime) -> Any:
        # SQLite keeps datetimes as text, in SQLAlchemy's layout, so the models read these rows like any other
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self.dialect == "sqlite" else moment


def _in(dialect: str) -> str:
    return "IN (SELECT value FROM json_each(?))" if dialect == "sqlite" else "= ANY(%s)"


@functools.cache
def _sql(dialect: str) -> _WriteSql:
    if dialect not in ("sqlite", "postgresql"):
        raise ArchiveError(f"tributes need SQLite or PostgreSQL, not {dialect}")
    one = "?" if dialect == "sqlite" else "%s"
    among = _in(dialect)

    def bump(table: str, columns: str) -> str:
        return (
            f"INSERT INTO {table} ({columns}, count) VALUES ({one}, {one}, {one}) "
            f"ON CONFLICT ({columns}) DO UPDATE SET count = {table}.count + excluded.count"
        )

    def today(column: str) -> str:
        if dialect == "sqlite":
            # a superset of the batch's (client, target, day) triples, each counted; the batch picks its own
            return (
                f"SELECT client, {column}, day, count(*) FROM tributes WHERE {column} IS NOT NULL "
                f"AND client {among} AND {column} {among} AND day {among} GROUP BY client, {column}, day"
            )
        # PostgreSQL plans three arrays as a scan of the client's whole index range (one client may have sent
        # thousands): joined with the exact triples, each is one lookup in the target's partial index
        return (
            f"SELECT t.client, t.{column}, t.day, count(*) FROM tributes AS t "
            "JOIN unnest(%s::text[], %s::integer[], %s::date[]) AS w(client, target, day) "
            f"ON t.client = w.client AND t.{column} = w.target AND t.day = w.day WHERE t.{column} IS NOT NULL "
            f"GROUP BY t.client, t.{column}, t.day"
        )

    return _WriteSql(
        dialect=dialect,
        lock=None if dialect == "sqlite" else "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k",
        find_martyrs=f"SELECT id, cemetery FROM martyrs WHERE id {among} AND NOT hidden",
        find_events=f"SELECT id, venue FROM events WHERE id {among}",
        today_martyrs=today("martyr_id"),
        today_events=today("event_id"),
        forget=f"DELETE FROM tributes WHERE id {among}",
        bump_martyr=bump("tribute_counts", "martyr_id, kind"),
        bump_event=bump("event_tribute_counts", "event_id, kind"),
        bump_day=bump("tribute_day_counts", "day, cemetery"),
        counts_martyrs=f"SELECT martyr_id, kind, count FROM tribute_counts WHERE martyr_id {among}",
        counts_events=f"SELECT event_id, kind, count FROM event_tribute_counts WHERE event_id {among}",
    )


@functools.cache
def _add_sql(dialect: str, rows: int) -> str:
    """Insert ``rows`` tributes in one statement; a stored key is skipped, not an error; the new ids come back."""
    one = "?" if dialect == "sqlite" else "%s"
    values = ", ".join([f"({', '.join([one] * 8)})"] * rows)
    return (
        'INSERT INTO tributes ("key", martyr_id, event_id, kind, cemetery, day, client, created_at) '
        f'VALUES {values} ON CONFLICT DO NOTHING RETURNING id, "key"'
    )


def _by_kind(rows: Any) -> dict[TributeKind, int]:
    found = {kind: count for kind, count in rows}
    return {kind: int(found.get(kind.value, 0)) for kind in TributeKind}


COUNTS_OF_MARTYR = select(TributeCount.kind, TributeCount.count).where(TributeCount.martyr_id == bindparam("target"))
COUNTS_OF_EVENT = select(EventTributeCount.kind, EventTributeCount.count).where(
    EventTributeCount.event_id == bindparam("target")
)


def martyr_counts(store: ArchiveStore, martyr_id: int) -> dict[TributeKind, int]:
    """Tributes offered to one martyr, by kind (every kind present, zero where none)."""
    with store.engine.connect() as connection:
        return _by_kind(connection.execute(COUNTS_OF_MARTYR, {"target": martyr_id}))


def event_counts(store: ArchiveStore, event_id: int) -> dict[TributeKind, int]:
    """Tributes offered on one event's page, by kind (every kind present, zero where none)."""
    with store.engine.connect() as connection:
        return _by_kind(connection.execute(COUNTS_OF_EVENT, {"target": event_id}))


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
        if event_id is not None:
            place = connection.execute(select(Event.venue).where(Event.id == event_id)).first()
            counts_query, target = COUNTS_OF_EVENT, event_id
        elif martyr_id is not None:
            public = (Martyr.id == martyr_id) & Martyr.hidden.is_(False)
            place = connection.execute(select(Martyr.cemetery).where(public)).first()
            counts_query, target = COUNTS_OF_MARTYR, martyr_id
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
