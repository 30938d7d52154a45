"""The tables of public participation, in the archive store beside the register they point at.

``tributes`` keeps one row per tribute (the idempotency key unique, so a retried request is one row);
``tribute_counts`` keeps the running total per martyr and kind, updated in the same transaction, so a page reads
its counts without counting rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
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
