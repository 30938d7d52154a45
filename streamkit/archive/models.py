"""The archive's tables: events, archive entries, tags, staff users with their roles and district, the audit log.

Times are stored as naive UTC (SQLite has no time zones); each event keeps its IANA zone name so pages and the
calendar show local times. The schema itself is owned by the Alembic migrations beside this module.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Now as naive UTC, the form every stored time takes."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class EventStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class EntryKind(enum.StrEnum):
    RECORDING = "recording"
    TOUR = "tour"


entry_tags = Table(
    "entry_tags",
    Base.metadata,
    Column("entry_id", ForeignKey("archive_entries.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(Base):
    """A ceremony with one stable page from upcoming through live to its recording."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)  # iCalendar UID; never changes
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200), default="", index=True)
    campaign: Mapped[str] = mapped_column(String(200), default="", index=True)
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    stream_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.UPCOMING.value, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    recordings: Mapped[list[ArchiveEntry]] = relationship(back_populates="event")

    def local(self, when: datetime) -> datetime:
        """A stored UTC time as an aware time in the event's zone."""
        return when.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone))

    @property
    def start_local(self) -> datetime:
        return self.local(self.start_at)

    @property
    def end_local(self) -> datetime:
        return self.local(self.end_at)

    @property
    def phase(self) -> str:
        """The status to show: an upcoming or live event whose end has passed reads as ended."""
        if self.status in (EventStatus.UPCOMING.value, EventStatus.LIVE.value) and self.end_at < utcnow():
            return EventStatus.ENDED.value
        return self.status

    @property
    def start_utc(self) -> datetime:
        return self.start_at.replace(tzinfo=UTC)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class ArchiveEntry(Base):
    """A published recording or tour: media, captions, chapters and where it belongs."""

    __tablename__ = "archive_entries"
    __table_args__ = (Index("ix_archive_listing", "published", "published_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Either a file under the media folder (media_file) or an outside URL (media_url); hls_url optional.
    media_file: Mapped[str] = mapped_column(String(500), default="")
    media_url: Mapped[str] = mapped_column(String(500), default="")
    hls_url: Mapped[str] = mapped_column(String(500), default="")
    hls_file: Mapped[str] = mapped_column(String(500), default="")  # master.m3u8 of a ladder in the media folder
    media_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    poster_file: Mapped[str] = mapped_column(String(500), default="")
    captions_file: Mapped[str] = mapped_column(String(500), default="")
    chapters_file: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    campaign: Mapped[str] = mapped_column(String(200), default="", index=True)
    venue: Mapped[str] = mapped_column(String(200), default="", index=True)
    published: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    event: Mapped[Event | None] = relationship(back_populates="recordings")
    tags: Mapped[list[Tag]] = relationship(secondary=entry_tags, lazy="selectin", order_by=Tag.name)

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]


class Role(enum.StrEnum):
    """What a staff account may do; an account holds any number of them."""

    ADMINISTRATOR = "administrator"  # accounts and the audit log; passes every other role's check too
    MODERATOR = "moderator"  # messages of remembrance
    PROXY_STAFF = "proxy_staff"  # proxy tomb-sweeping orders and the families' contact data
    REGISTER_EDITOR = "register_editor"  # the register of martyrs, its photos, the search for relatives
    MEDIA_EDITOR = "media_editor"  # events and archive entries


class District(Base):
    """A district under the bureau; its cemeteries decide which records its staff see."""

    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    cemeteries: Mapped[list[DistrictCemetery]] = relationship(
        back_populates="district", lazy="selectin", order_by="DistrictCemetery.cemetery", cascade="all, delete-orphan"
    )

    @property
    def cemetery_names(self) -> list[str]:
        return [c.cemetery for c in self.cemeteries]


class DistrictCemetery(Base):
    """A cemetery (as the register spells it in ``martyrs.cemetery``) and the one district it belongs to."""

    __tablename__ = "district_cemeteries"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    cemetery: Mapped[str] = mapped_column(String(200), unique=True)
    district: Mapped[District] = relationship(back_populates="cemeteries")


class UserRole(Base):
    """One role held by one account (a row per role: indexed, unique, the same in SQLite and PostgreSQL)."""

    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(Base):
    """A staff account; the password is stored only as a salted hash. No district means bureau staff (all)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # no ON DELETE: a district with staff cannot be removed, or they would silently become bureau staff
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    district: Mapped[District | None] = relationship(lazy="selectin")
    role_rows: Mapped[list[UserRole]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows if r.role in Role._value2member_map_)

    def __repr__(self) -> str:  # never the hash
        return f"User({self.username!r})"


class AuditRecord(Base):
    """One staff action: who, what, on which record, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class SiteRevision(Base):
    """One row whose number goes up on every change, so page caches know when they are stale."""

    __tablename__ = "site_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)
