"""The register's tables in the archive store: one row per martyr, keyed by a stable ``key``, and the tomb photos.

``key`` is what a re-import matches on (see ``record.record_key``); ``tomb_key`` is unique so one tomb never holds
two records. The ``search_*`` columns are derived from the record (simplified characters spaced out, pinyin and
initials) and feed the database's text index; they are never shown.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from streamkit.archive.models import Base, utcnow

PRIVATE_FIELDS = ("family_contact", "private_notes")


class Martyr(Base):
    """One person in the register of the fallen (英名录)."""

    __tablename__ = "martyrs"
    __table_args__ = (Index("ix_martyrs_cemetery_section", "cemetery", "section"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    sex: Mapped[str] = mapped_column(String(8), default="")
    native_place: Mapped[str] = mapped_column(String(200), default="")
    born_text: Mapped[str] = mapped_column(String(60), default="")
    born_from: Mapped[date | None] = mapped_column(Date)
    born_to: Mapped[date | None] = mapped_column(Date)
    died_text: Mapped[str] = mapped_column(String(60), default="")
    died_from: Mapped[date | None] = mapped_column(Date, index=True)
    died_to: Mapped[date | None] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(300), default="")
    post: Mapped[str] = mapped_column(String(200), default="")
    place_of_death: Mapped[str] = mapped_column(String(300), default="")
    cemetery: Mapped[str] = mapped_column(String(200), default="")
    section: Mapped[str] = mapped_column(String(60), default="")
    row: Mapped[str] = mapped_column(String(20), default="")
    number: Mapped[str] = mapped_column(String(20), default="")
    tomb_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    biography: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_fields: Mapped[str] = mapped_column(String(300), default="")  # comma-separated public fields to withhold
    family_contact: Mapped[str] = mapped_column(String(300), default="")  # private: never public
    private_notes: Mapped[str] = mapped_column(Text, default="")  # private: never public
    search_name: Mapped[str] = mapped_column(Text, default="")
    search_place: Mapped[str] = mapped_column(Text, default="")
    search_unit: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:  # never the private fields
        return f"Martyr({self.key!r}, {self.name!r})"


class TombPhoto(Base):
    """A photo of the tomb survey: which record it shows (if any), how it was matched, and its quality scores.

    ``match`` is ``matched``, ``ambiguous`` (``candidates`` holds the record ids, none chosen) or ``unmatched``;
    ``problems`` lists what the checks found (``blurred``, ``dark``, ``bright``, ``small``, ``unreadable``), while a
    near-duplicate is kept apart in ``duplicate_of`` because it depends on the other photos, not on this one.
    """

    __tablename__ = "tomb_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    martyr_id: Mapped[int | None] = mapped_column(ForeignKey("martyrs.id", ondelete="SET NULL"), index=True)
    match: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(12), default="")  # position, name, key or mapping
    candidates: Mapped[str] = mapped_column(String(300), default="")  # comma-separated record ids when ambiguous
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    orientation: Mapped[int] = mapped_column(default=1)
    # Float as the migration made them: SQLAlchemy 2.1 maps a bare float to Double, which SQLite reports apart
    sharpness: Mapped[float] = mapped_column(Float, default=0.0)
    dark_share: Mapped[float] = mapped_column(Float, default=0.0)
    bright_share: Mapped[float] = mapped_column(Float, default=0.0)
    dhash: Mapped[str] = mapped_column(String(16), default="")
    problems: Mapped[str] = mapped_column(String(100), default="")
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("tomb_photos.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"TombPhoto({Path(self.path).name!r}, {self.match!r})"


class MartyrDocument(Base):
    """A document shown with a record: a letter home (烈士家书, a scan with its transcription), a portrait, a citation.

    The upload itself is kept outside the public media folder (``original``); the page shows only the resized copies
    in ``folder`` (under the media folder, a random name so a hidden document's copies cannot be guessed).
    ``sizes`` lists them as ``320x240,640x480``.
    """

    __tablename__ = "martyr_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # letter, portrait, citation
    caption: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    transcription: Mapped[str] = mapped_column(Text, default="")
    original: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(200))
    sizes: Mapped[str] = mapped_column(String(200), default="")
    hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"MartyrDocument({self.id!r}, {self.kind!r})"


class MartyrAppearance(Base):
    """A moment of a recording or tour in the archive where a martyr is on screen (from the render's chapters)."""

    __tablename__ = "martyr_appearances"
    __table_args__ = (UniqueConstraint("entry_id", "martyr_id", "start_ms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    martyr_id: Mapped[int] = mapped_column(ForeignKey("martyrs.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("archive_entries.id", ondelete="CASCADE"), index=True)
    start_ms: Mapped[int]
    end_ms: Mapped[int]
