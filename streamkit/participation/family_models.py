"""The tables that hold families' personal data: proxy tomb-sweeping requests (代为祭扫) and relatives' claims (寻亲).

Personal fields live only in ``sealed`` (a Fernet token of a JSON object, ``participation.sealed``); every other
column is free of personal data so lists, counts, the audit log and reports can use it. ``erased_at`` marks a row
whose sealed data was erased (retention or a request); the row stays for the counts.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streamkit.archive.models import Base, utcnow


class SweepStatus(enum.StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


# "四个一": wipe the stone once, lay one bunch of flowers, take one set of photos, make one phone call.
CHECKLIST = ("wiped", "flowers", "photos", "called")


class ProxySweep(Base):
    """A family's request for proxy tomb-sweeping, and the work order it becomes."""

    __tablename__ = "proxy_sweeps"
    __table_args__ = (Index("ix_proxy_sweeps_status", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SweepStatus.REQUESTED.value)
    sealed: Mapped[str] = mapped_column(Text, default="")  # name, relation, phone, wishes
    preferred_date: Mapped[date] = mapped_column(Date)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    wiped: Mapped[bool] = mapped_column(default=False)
    flowers: Mapped[bool] = mapped_column(default=False)
    photos: Mapped[bool] = mapped_column(default=False)
    called: Mapped[bool] = mapped_column(default=False)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("archive_entries.id", ondelete="SET NULL"))
    video: Mapped[str] = mapped_column(String(200), default="")  # an uploaded clip under the private folder
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the family's token
    link_expires_at: Mapped[datetime | None]
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]  # done or cancelled: the retention period counts from here
    erased_at: Mapped[datetime | None]

    def __repr__(self) -> str:  # never the sealed data
        return f"ProxySweep({self.id}, {self.status!r})"


class SweepPhoto(Base):
    """One photo of a proxy sweep's set that passed the register's photo checks, with its scores.

    ``original`` and ``derivative`` are names under ``participation.private_dir``; the family sees the derivative.
    """

    __tablename__ = "proxy_sweep_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("proxy_sweeps.id", ondelete="CASCADE"), index=True)
    original: Mapped[str] = mapped_column(String(200))
    derivative: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    sharpness: Mapped[float] = mapped_column(Float, default=0.0)
    dark_share: Mapped[float] = mapped_column(Float, default=0.0)
    bright_share: Mapped[float] = mapped_column(Float, default=0.0)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimStatus(enum.StrEnum):
    NEW = "new"
    CONTACTING = "contacting"
    VERIFIED = "verified"
    NOT_RELATED = "not_related"


CLOSED_CLAIMS = (ClaimStatus.VERIFIED.value, ClaimStatus.NOT_RELATED.value)


class RelativeSearch(Base):
    """A register record whose relatives are sought (为烈士找亲人), with the note the public list shows."""

    __tablename__ = "relative_searches"
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), primary_key=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    found_at: Mapped[datetime | None]  # the family was found: the record leaves the public list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RelativeClaim(Base):
    """Someone who thinks they are a relative: who, how to reach them and what they know, sealed with staff notes."""

    __tablename__ = "relative_claims"
    __table_args__ = (Index("ix_relative_claims_status", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.NEW.value)
    sealed: Mapped[str] = mapped_column(Text, default="")  # name, contact, knowledge, staff notes
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"RelativeClaim({self.id}, {self.status!r})"
