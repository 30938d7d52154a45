"""The archive store: one engine per database URL, migrated on first use, and the queries the site and CLI need.

SQLite (the default) runs in WAL mode so the site can read while the toolkit publishes. Any SQLAlchemy URL works
(PostgreSQL in production).
"""

from __future__ import annotations

import math
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Engine, create_engine, event, func, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, raiseload, selectinload, sessionmaker

from streamkit.archive import schema
from streamkit.archive.models import (
    ArchiveEntry,
    AuditRecord,
    Event,
    EventStatus,
    SiteRevision,
    Tag,
    entry_tags,
    utcnow,
)
from streamkit.errors import ArchiveError

if TYPE_CHECKING:
    from streamkit.config.settings import WebSettings

DEFAULT_MEDIA_DIR = Path("var/media")
_REVISION_QUERY = select(SiteRevision.revision)
NEARLY_FULL_BYTES = 1 << 20  # less room than this beside the database is named in its errors
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another writer's lock before giving up


@dataclass(frozen=True)
class ArchiveQuery:
    """Filters for the archive listing; empty strings mean no filter."""

    kind: str = ""
    campaign: str = ""
    venue: str = ""
    tag: str = ""
    year: int | None = None
    text: str = ""


ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class EntryCard:
    """What a listing shows of an entry: read as plain columns, without the ORM's per-object bookkeeping."""

    id: int
    title: str
    kind: str
    poster_file: str
    duration_ms: int
    published_at: datetime


CARD_COLUMNS = (
    ArchiveEntry.id,
    ArchiveEntry.title,
    ArchiveEntry.kind,
    ArchiveEntry.poster_file,
    ArchiveEntry.duration_ms,
    ArchiveEntry.published_at,
)


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    items: Sequence[ItemT]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def tag_names(names: Sequence[str]) -> list[str]:
    """Tags as stored: stripped, unique, sorted, each at most 80 characters (ArchiveError otherwise)."""
    wanted = sorted({n.strip() for n in names if n.strip()})
    too_long = [n for n in wanted if len(n) > 80]
    if too_long:
        raise ArchiveError(f"tags may have at most 80 characters: {too_long[0][:20]}…")
    return wanted


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _without_nul(parameters: Any) -> Any:
    """One statement's parameters with NUL characters dropped from strings (rebuilt only when one has any)."""
    if isinstance(parameters, dict):
        values: Any = parameters.values()
    elif isinstance(parameters, (list, tuple)):
        values = parameters
    else:  # a driver's own form (SQLAlchemy's insertmanyvalues batches) is passed on as it is
        return parameters
    if not any(isinstance(v, str) and "\x00" in v for v in values):
        return parameters
    if isinstance(parameters, dict):
        return {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in parameters.items()}
    return type(parameters)(v.replace("\x00", "") if isinstance(v, str) else v for v in parameters)


def _drop_nul(
    _connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    # PostgreSQL text cannot hold NUL and refuses the whole statement: a search for "%00" or a title written by
    # another tool would be a 500. Dropped at this one boundary, on every dialect, so both store the same text.
    if not parameters:
        return statement, parameters
    if executemany and isinstance(parameters, list):  # a batch; an insertmanyvalues batch is one mapping
        return statement, [_without_nul(p) for p in parameters]
    return statement, _without_nul(parameters)


class ArchiveStore:
    """Events and archive entries in one database, with the media folder its files are copied into."""

    def __init__(self, database_url: str, media_dir: str | Path = DEFAULT_MEDIA_DIR, *, migrate: bool = True) -> None:
        self.database_url = database_url
        self.media_dir = Path(media_dir)
        try:
            url = make_url(database_url)
        except Exception:  # sqlalchemy raises ArgumentError and ValueError; both echo the URL and its password
            raise ArchiveError(
                "bad database URL in web.database_url (for example sqlite:///var/streamkit.db)"
            ) from None
        self._file: Path | None = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._file = Path(url.database)
            self._file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url)
        except Exception as exc:
            raise ArchiveError(f"cannot open database {url.render_as_string(hide_password=True)}: {exc}") from None
        if url.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        event.listen(self.engine, "before_cursor_execute", _drop_nul, retval=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Counts and facets scan many rows; they only change with the revision, so each process keeps the last ones.
        self._memo: dict[tuple[Any, ...], Any] = {}
        if migrate:
            self.migrate()
        self._identity = self._file_identity()

    def __repr__(self) -> str:
        return f"ArchiveStore({make_url(self.database_url).render_as_string(hide_password=True)!r})"

    def migrate(self) -> bool:
        try:
            return schema.upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise ArchiveError(f"cannot migrate the archive database: {self._reason(exc)}") from None

    def _reason(self, exc: SQLAlchemyError) -> str:
        """One line on why the database said no. SQLite's own messages are fixed texts ("database is locked"); other
        drivers' may quote the row's values, so only the kind of error is named for them."""
        driver_error = getattr(exc, "orig", None)  # only errors that came from the driver carry one
        if not isinstance(driver_error, sqlite3.Error):
            return exc.__class__.__name__
        reason = str(driver_error)
        if isinstance(driver_error, sqlite3.OperationalError) and "locked" in reason:
            reason += f" (another writer held it for {BUSY_TIMEOUT_MS / 1000:g} s; try again)"
        if self._file is not None:  # SQLite says "disk I/O error" when it cannot grow its side files
            try:
                disk = os.statvfs(self._file.parent)
            except OSError:  # the folder itself is gone: SQLite's words are all there is
                return reason
            if disk.f_flag & os.ST_RDONLY:
                reason += f" ({self._file.parent} is on a read-only file system)"
            elif disk.f_bavail * disk.f_frsize < NEARLY_FULL_BYTES:
                reason += f" ({self._file.parent} is on a full disk: {disk.f_bavail * disk.f_frsize} bytes free)"
        return reason

    def _file_identity(self) -> tuple[int, int] | None:
        """Which file the open connections write into (SQLite): a file removed or replaced under a running process
        leaves them writing into one nobody will read again."""
        if self._file is None or not self._file.exists():
            return None
        stat = self._file.stat()
        return stat.st_dev, stat.st_ino

    def _check_still_there(self) -> None:
        if self._identity is not None and self._file_identity() != self._identity:
            raise ArchiveError(f"the database file {self._file} was removed or replaced while in use; nothing "
                               "was written (restart to open the one there now)")  # fmt: skip

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session; nothing is committed."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session: commits and bumps the site revision on success, rolls back everything on error."""
        with self._sessions() as session:
            try:
                yield session
                self._bump_revision(session)
                self._check_still_there()
                session.commit()
            except SQLAlchemyError as exc:
                session.rollback()
                raise ArchiveError(f"the archive refused the change: {self._reason(exc)}") from exc
            except BaseException:
                session.rollback()
                raise

    @staticmethod
    def _bump_revision(session: Session) -> None:
        if session.execute(update(SiteRevision).values(revision=SiteRevision.revision + 1)).rowcount == 0:  # type: ignore[attr-defined]
            session.add(SiteRevision(id=1, revision=1))

    def revision(self) -> int:
        """The number every write bumps; read on each page request, so it skips the ORM."""
        with self.engine.connect() as connection:
            return connection.execute(_REVISION_QUERY).scalar() or 0

    # -- events ------------------------------------------------------------------------------------------------
    def event_by_slug(self, slug: str) -> Event | None:
        with self.session() as session:
            return session.scalar(select(Event).where(Event.slug == slug).options(selectinload(Event.recordings)))

    def upcoming_events(self, now: datetime | None = None, limit: int = 200) -> list[Event]:
        """Live and upcoming events that have not ended, soonest first."""
        now = now or utcnow()
        with self.session() as session:
            query = (
                select(Event)
                .where(Event.status.in_([EventStatus.UPCOMING.value, EventStatus.LIVE.value]), Event.end_at >= now)
                .order_by(Event.start_at, Event.id)
                .limit(limit)
            )
            return list(session.scalars(query))

    def past_events(self, now: datetime | None = None, limit: int = 50) -> list[Event]:
        now = now or utcnow()
        with self.session() as session:
            query = (
                select(Event)
                .where(
                    or_(
                        Event.status.in_([EventStatus.ENDED.value, EventStatus.CANCELLED.value]),
                        Event.end_at < now,
                    )
                )
                .order_by(Event.start_at.desc(), Event.id.desc())
                .limit(limit)
                .options(selectinload(Event.recordings))
            )
            return list(session.scalars(query))

    def calendar_events(self, since: datetime, limit: int = 2000) -> list[Event]:
        """Events ending after ``since``, soonest first: what the iCalendar feed lists."""
        with self.session() as session:
            query = select(Event).where(Event.end_at >= since).order_by(Event.start_at, Event.id).limit(limit)
            return list(session.scalars(query))

    def all_events(self, limit: int = 1000) -> list[Event]:
        with self.session() as session:
            return list(session.scalars(select(Event).order_by(Event.start_at.desc(), Event.id.desc()).limit(limit)))

    @staticmethod
    def new_event_identity(start_at: datetime) -> tuple[str, str]:
        """A fresh (uid, slug): the UID is what calendars key on; the slug is the page address."""
        token = uuid.uuid4().hex
        return f"{token}@streamkit", f"{start_at:%Y-%m-%d}-{token[:8]}"

    # -- archive -----------------------------------------------------------------------------------------------
    def entry(self, entry_id: int, *, include_unpublished: bool = False) -> ArchiveEntry | None:
        with self.session() as session:
            found = session.scalar(
                select(ArchiveEntry).where(ArchiveEntry.id == entry_id).options(selectinload(ArchiveEntry.event))
            )
            if found is None or (not found.published and not include_unpublished):
                return None
            return found

    def list_entries(
        self,
        query: ArchiveQuery = ArchiveQuery(),
        *,
        page: int = 1,
        per_page: int = 20,
        published_only: bool = True,
        with_tags: bool = True,
        revision: int | None = None,
    ) -> Page[ArchiveEntry]:
        """One page of entries, newest first, with the filters applied in SQL.

        ``entry_cards`` is the same page as plain rows, for listings.

        ``with_tags=False`` leaves the tags unloaded (touching them raises) for pages that do not show them;
        ``revision``, when the caller read it already for this request, saves reading it again.
        """
        with self.session() as session:
            total, page, pages = self._locate(session, query, page, per_page, published_only, revision)
            items = list(
                session.scalars(
                    select(ArchiveEntry)
                    .where(*self._conditions(query, published_only))
                    .order_by(ArchiveEntry.published_at.desc(), ArchiveEntry.id.desc())
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                    .options(selectinload(ArchiveEntry.tags) if with_tags else raiseload(ArchiveEntry.tags))
                )
            )
        return Page(items=items, page=page, pages=pages, total=total)

    def entry_cards(
        self, query: ArchiveQuery = ArchiveQuery(), *, page: int = 1, per_page: int = 20, revision: int | None = None
    ) -> Page[EntryCard]:
        """One page of published entries as the archive listing shows them (``list_entries``, without the ORM)."""
        with self.session() as session:
            total, page, pages = self._locate(session, query, page, per_page, True, revision)
            order = (ArchiveEntry.published_at.desc(), ArchiveEntry.id.desc())
            # The offset is walked in the listing index alone (published, published_at, id); only the page's own
            # rows are read from the table. Stepping over thousands of whole rows was most of a deep page's cost.
            ids = (
                select(ArchiveEntry.id)
                .where(*self._conditions(query, True))
                .order_by(*order)
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            rows = session.execute(select(*CARD_COLUMNS).where(ArchiveEntry.id.in_(ids)).order_by(*order))
            items = [EntryCard(*row) for row in rows]
        return Page(items=items, page=page, pages=pages, total=total)

    def _locate(
        self,
        session: Session,
        query: ArchiveQuery,
        page: int,
        per_page: int,
        published_only: bool,
        revision: int | None,
    ) -> tuple[int, int, int]:
        """The number of matching entries (remembered per revision), the page asked for within range, the pages."""
        if revision is None:
            revision = session.scalar(select(SiteRevision.revision)) or 0
        count_key = ("count", query, published_only, revision)
        total = self._memo.get(count_key)
        if total is None:
            conditions = self._conditions(query, published_only)
            total = session.scalar(select(func.count(ArchiveEntry.id)).where(*conditions)) or 0
            self._remember(count_key, total)
        pages = max(1, math.ceil(total / per_page))
        return total, min(max(1, page), pages), pages

    @staticmethod
    def _conditions(query: ArchiveQuery, published_only: bool) -> list[Any]:
        conditions: list[Any] = []
        if published_only:
            conditions.append(ArchiveEntry.published.is_(True))
        if query.kind:
            conditions.append(ArchiveEntry.kind == query.kind)
        if query.campaign:
            conditions.append(ArchiveEntry.campaign == query.campaign)
        if query.venue:
            conditions.append(ArchiveEntry.venue == query.venue)
        if query.year:
            conditions += [
                ArchiveEntry.published_at >= datetime(query.year, 1, 1),
                ArchiveEntry.published_at < datetime(query.year + 1, 1, 1),
            ]
        if query.tag:
            conditions.append(ArchiveEntry.tags.any(Tag.name == query.tag))
        if query.text:
            pattern = "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(
                or_(
                    ArchiveEntry.title.ilike(pattern, escape="\\"), ArchiveEntry.description.ilike(pattern, escape="\\")
                )
            )
        return conditions

    def facets(self, revision: int | None = None) -> dict[str, list[str]]:
        """The values the archive filters offer: campaigns, venues, tags and years with published entries."""
        with self.session() as session:
            if revision is None:
                revision = session.scalar(select(SiteRevision.revision)) or 0
            key = ("facets", revision)
            if key in self._memo:
                found: dict[str, list[str]] = self._memo[key]
                return found
            published = ArchiveEntry.published.is_(True)
            campaigns = session.scalars(
                select(ArchiveEntry.campaign).where(published, ArchiveEntry.campaign != "").distinct()
            )
            venues = session.scalars(select(ArchiveEntry.venue).where(published, ArchiveEntry.venue != "").distinct())
            tags = session.scalars(
                select(Tag.name)
                .where(Tag.id.in_(select(entry_tags.c.tag_id).join(ArchiveEntry).where(published)))
                .order_by(Tag.name)
            )
            first, last = session.execute(
                select(func.min(ArchiveEntry.published_at), func.max(ArchiveEntry.published_at)).where(published)
            ).one()
            years = [str(y) for y in range(last.year, first.year - 1, -1)] if first and last else []
            found = {"campaign": sorted(campaigns), "venue": sorted(venues), "tag": list(tags), "year": years}
            self._remember(key, found)
            return found

    def _remember(self, key: tuple[Any, ...], value: Any) -> None:
        if len(self._memo) > 1000:
            self._memo.clear()
        self._memo[key] = value

    @staticmethod
    def tags_for(session: Session, names: Sequence[str]) -> list[Tag]:
        """Existing tags by name, creating the missing ones."""
        wanted = tag_names(names)
        if not wanted:
            return []
        found = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(wanted)))}
        for name in wanted:
            if name not in found:
                found[name] = Tag(name=name)
                session.add(found[name])
        return [found[n] for n in wanted]

    @staticmethod
    def audit(session: Session, actor: str, action: str, target: str = "", detail: str = "") -> AuditRecord:
        record = AuditRecord(actor=actor, action=action, target=target, detail=detail)
        session.add(record)
        return record

    def audit_log(self, limit: int = 200) -> list[AuditRecord]:
        with self.session() as session:
            return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)))


def open_store(web: WebSettings, *, database_url: str | None = None, media_dir: Path | None = None) -> ArchiveStore:
    """The store the site's settings name; a database URL or media folder given on the command line wins."""
    return ArchiveStore(database_url or web.database_url, media_dir or web.media_dir)
