"""The tables of public participation, in the archive store beside the register they point at.

``tributes`` keeps one row per tribute, offered to a martyr or to an event (the idempotency key unique, so a
retried request is one row); ``tribute_counts``, ``event_tribute_counts`` and ``tribute_day_counts`` keep the
running totals per martyr, per event and per day and cemetery, updated in the same transaction, so a page or the
live counts read a handful of rows instead of counting millions.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from streamkit.archive.models import Base, utcnow


class TributeKind(enum.StrEnum):
    FLOWER = "flower"  # 献花
    CANDLE = "candle"  # 点烛
    BOW = "bow"  # 鞠躬


class Tribute(Base):
    """One tribute offered by a visitor to a martyr or an event (exactly one of the two ids is set).

    ``client`` is a keyed hash of the address and day, never the address; ``cemetery`` is the martyr's cemetery,
    or the event's venue.
    """

    __tablename__ = "tributes"
    __table_args__ = (
        # what the daily cap counts; per-day and per-cemetery totals live in tribute_day_counts, so no index
        # by day or cemetery slows every insert down. Partial: a row goes into its own target's index only, and
        # PostgreSQL cannot take the event index (every martyr's row in it, event NULL) for a martyr's count.
        Index(
            "ix_tributes_client_martyr_day",
            "client",
            "martyr_id",
            "day",
            sqlite_where=text("martyr_id IS NOT NULL"),
            postgresql_where=text("martyr_id IS NOT NULL"),
        ),
        Index(
            "ix_tributes_client_event_day",
            "client",
            "event_id",
            "day",
            sqlite_where=text("event_id IS NOT NULL"),
            postgresql_where=text("event_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    martyr_id: Mapped[int | None] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    cemetery: Mapped[str] = mapped_column(String(200), default="")
    day: Mapped[date]
    client: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TributeCount(Base):
    """The running count of one kind of tribute for one martyr."""

    __tablename__ = "tribute_counts"
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class EventTributeCount(Base):
    """The running count of one kind of tribute offered on one event's page."""

    __tablename__ = "event_tribute_counts"
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class TributeDayCount(Base):
    """The running count of tributes of one day (in the cemeteries' zone) in one cemetery, all kinds together."""

    __tablename__ = "tribute_day_counts"
    day: Mapped[date] = mapped_column(primary_key=True)
    cemetery: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Message(Base):
    """A message of remembrance (感念寄语): public only once a moderator approved it.

    ``flags`` holds the pre-filter's matches as JSON (``[[start, end, tier, category], …]``) for highlighting.
    """

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_martyr_status", "martyr_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(40), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING.value, index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    flags: Mapped[str] = mapped_column(Text, default="[]")
    reason: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str] = mapped_column(String(80), default="")
