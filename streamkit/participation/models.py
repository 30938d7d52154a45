"""The tables of public participation, in the archive store beside the register they point at.

``tributes`` keeps one row per tribute (the idempotency key unique, so a retried request is one row);
``tribute_counts`` keeps the running total per martyr and kind, updated in the same transaction, so a page reads
its counts without counting rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streamkit.archive.models import Base, utcnow


class TributeKind(enum.StrEnum):
    FLOWER = "flower"  # 献花
    CANDLE = "candle"  # 点烛
    BOW = "bow"  # 鞠躬


class Tribute(Base):
    """One tribute offered by a visitor; ``client`` is a keyed hash of the address and day, never the address."""

    __tablename__ = "tributes"
    __table_args__ = (
        Index("ix_tributes_client_martyr_day", "client", "martyr_id", "day"),
        Index("ix_tributes_cemetery_day", "cemetery", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    cemetery: Mapped[str] = mapped_column(String(200), default="")
    day: Mapped[date] = mapped_column(index=True)
    client: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TributeCount(Base):
    """The running count of one kind of tribute for one martyr."""

    __tablename__ = "tribute_counts"
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
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
