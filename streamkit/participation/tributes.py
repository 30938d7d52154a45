"""Offer a tribute and read the counts: one short write transaction per tribute, no site revision bump.

A tribute is written with its idempotency key unique, so the same request sent again (a retry after a lost
answer, a reloaded form) finds its row and is answered as before without a second count. The per-client cap is
checked after the insert, inside the same transaction: SQLite holds its write lock from the insert to the commit,
so two requests from one client cannot both slip under the cap. Tributes do not bump the site revision: that
would empty every worker's page cache many times a second.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, DateTime, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.models import Tribute, TributeCount, TributeKind
from streamkit.register.models import Martyr

# The day a tribute counts for is the day in the cemeteries' own zone, as campaigns count them.
TRIBUTE_ZONE = ZoneInfo("Asia/Shanghai")


class Outcome(enum.StrEnum):
    COUNTED = "counted"
    REPEATED = "repeated"  # the same key again: counted once, answered as before
    CAPPED = "capped"  # this client reached the day's cap for this martyr
    NOT_FOUND = "not_found"  # no such martyr, or a hidden one


@dataclass(frozen=True)
class TributeRequest:
    """A tribute as the site parsed it: who (hashed), for whom, what, and the key that makes a retry harmless."""

    key: str
    martyr_id: int
    kind: TributeKind
    client: str
    day: date


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
    try:
        with store.engine.connect() as connection:
            outcome = _offer(connection, tribute, daily_cap)
            if outcome is Outcome.COUNTED:
                connection.commit()  # the answer is sent only after this returns: a 2xx means stored
            else:
                connection.rollback()
            return outcome
    except SQLAlchemyError as exc:
        raise ArchiveError(f"the archive refused the tribute: {exc.__class__.__name__}") from exc


def _offer(connection: Connection, tribute: TributeRequest, daily_cap: int) -> Outcome:
    add, bump = _writes(connection.dialect.name)
    values = {
        "key": tribute.key,
        "martyr_id": tribute.martyr_id,
        "kind": tribute.kind.value,
        "day": tribute.day,
        "client": tribute.client,
        "now": datetime.now(UTC).replace(tzinfo=None),
    }
    # RETURNING, not rowcount: with psycopg the rowcount of an INSERT … SELECT said 1 when ON CONFLICT skipped it
    if connection.execute(add, values).first() is None:
        seen = connection.scalar(_SEEN, values)
        return Outcome.REPEATED if seen is not None else Outcome.NOT_FOUND
    if (connection.scalar(_TODAY, values) or 0) > daily_cap:
        return Outcome.CAPPED
    connection.execute(bump, values)
    return Outcome.COUNTED


# Statements built once: building them is most of a tribute's cost in Python, far more than SQLite's work.
_SEEN = select(Tribute.id).where(Tribute.key == bindparam("key"))
_TODAY = select(func.count(Tribute.id)).where(
    Tribute.client == bindparam("client"), Tribute.martyr_id == bindparam("martyr_id"), Tribute.day == bindparam("day")
)
_COUNTS = select(TributeCount.kind, TributeCount.count).where(TributeCount.martyr_id == bindparam("martyr_id"))


@functools.cache
def _writes(dialect: str) -> tuple[Any, Any]:
    """The insert (skipping a stored key or a hidden martyr) and the count bump, as ``dialect`` spells them."""
    # both dialects spell ON CONFLICT alike, through their own Insert classes
    upsert: Any = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}.get(dialect)
    if upsert is None:
        raise ArchiveError(f"tributes need SQLite or PostgreSQL, not {dialect}")
    # one statement checks the martyr is public, copies its cemetery and skips a key already stored
    row: Any = select(
        bindparam("key"),
        Martyr.id,
        bindparam("kind"),
        Martyr.cemetery,
        bindparam("day", type_=Date),
        bindparam("client"),
        bindparam("now", type_=DateTime),
    ).where(Martyr.id == bindparam("martyr_id"), Martyr.hidden.is_(False))
    columns = ["key", "martyr_id", "kind", "cemetery", "day", "client", "created_at"]
    add = upsert(Tribute).from_select(columns, row).on_conflict_do_nothing().returning(Tribute.id)
    bump = (
        upsert(TributeCount)
        .values(martyr_id=bindparam("martyr_id"), kind=bindparam("kind"), count=1)
        .on_conflict_do_update(index_elements=["martyr_id", "kind"], set_={"count": TributeCount.count + 1})
    )
    return add, bump


def martyr_counts(store: ArchiveStore, martyr_id: int) -> dict[TributeKind, int]:
    """Tributes offered to one martyr, by kind (every kind present, zero where none)."""
    with store.engine.connect() as connection:
        rows = connection.execute(_COUNTS, {"martyr_id": martyr_id}).all()
    found = {kind: count for kind, count in rows}
    return {kind: int(found.get(kind.value, 0)) for kind in TributeKind}


def cemetery_counts(store: ArchiveStore, day: date | None = None) -> dict[str, int]:
    """Tributes per cemetery, over all days or on ``day``."""
    query = select(Tribute.cemetery, func.count(Tribute.id)).group_by(Tribute.cemetery).order_by(Tribute.cemetery)
    if day is not None:
        query = query.where(Tribute.day == day)
    with store.engine.connect() as connection:
        return {cemetery: int(count) for cemetery, count in connection.execute(query).all()}


def daily_counts(store: ArchiveStore, cemetery: str | None = None) -> dict[date, int]:
    """Tributes per day, oldest first, in one cemetery or in all."""
    query = select(Tribute.day, func.count(Tribute.id)).group_by(Tribute.day).order_by(Tribute.day)
    if cemetery is not None:
        query = query.where(Tribute.cemetery == cemetery)
    with store.engine.connect() as connection:
        return {day: int(count) for day, count in connection.execute(query).all()}
