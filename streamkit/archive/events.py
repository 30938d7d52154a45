"""Creating and changing events: shared by the CLI, the staff admin and the ceremony runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from streamkit.archive.models import Event, EventStatus
from streamkit.archive.store import ArchiveStore
from streamkit.archive.urls import playable_url
from streamkit.errors import ArchiveError

STREAM_URL_PROBLEM = "the stream URL must start with https:// or be a path on the site (plain http cannot play)"
# Far enough for any ceremony, and near enough that converting between any two zones stays inside datetime's range.
EVENT_YEARS = range(1900, 3000)


@dataclass(frozen=True)
class EventDraft:
    """What a person enters for an event; local times are in ``timezone``."""

    title: str
    start_local: datetime
    end_local: datetime
    timezone: str = "Asia/Shanghai"
    description: str = ""
    venue: str = ""
    campaign: str = ""
    stream_url: str = ""
    status: str = EventStatus.UPCOMING.value

    def problems(self) -> list[str]:
        """Everything wrong with the draft, all at once (empty when it can be saved)."""
        found = []
        if not self.title.strip():
            found.append("title is required")
        if len(self.title) > 200:
            found.append("title is longer than 200 characters")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(f"unknown time zone {self.timezone!r}")
        if self.end_local <= self.start_local:
            found.append("the end must be after the start")
        if self.start_local.year not in EVENT_YEARS or self.end_local.year not in EVENT_YEARS:
            found.append(f"start and end must be in the years {EVENT_YEARS[0]} to {EVENT_YEARS[-1]}")
        if self.stream_url and not playable_url(self.stream_url):
            found.append(STREAM_URL_PROBLEM)
        if self.status not in {s.value for s in EventStatus}:
            found.append(f"unknown status {self.status!r}")
        return found

    def utc(self, local: datetime) -> datetime:
        aware = local if local.tzinfo else local.replace(tzinfo=ZoneInfo(self.timezone))
        return aware.astimezone(UTC).replace(tzinfo=None)


def apply_draft(event: Event, draft: EventDraft) -> None:
    event.title = draft.title.strip()
    event.description = draft.description
    event.venue = draft.venue.strip()
    event.campaign = draft.campaign.strip()
    event.timezone = draft.timezone
    event.start_at = draft.utc(draft.start_local)
    event.end_at = draft.utc(draft.end_local)
    event.stream_url = draft.stream_url.strip()
    event.status = draft.status


def create_event(store: ArchiveStore, draft: EventDraft, *, actor: str) -> Event:
    """Validate and insert an event; raises ArchiveError listing every problem, and writes nothing then."""
    problems = draft.problems()
    if problems:
        raise ArchiveError("; ".join(problems))
    with store.transaction() as session:
        uid, slug = ArchiveStore.new_event_identity(draft.utc(draft.start_local))
        event = Event(uid=uid, slug=slug)
        apply_draft(event, draft)
        session.add(event)
        session.flush()
        ArchiveStore.audit(session, actor, "event.create", f"event:{event.slug}", event.title)
    return event


def update_event(session: Session, event: Event, draft: EventDraft, *, actor: str) -> None:
    problems = draft.problems()
    if problems:
        raise ArchiveError("; ".join(problems))
    apply_draft(event, draft)
    ArchiveStore.audit(session, actor, "event.update", f"event:{event.slug}", event.title)


def set_event_status(
    store: ArchiveStore, slug: str, status: EventStatus, *, actor: str, stream_url: str | None = None
) -> Event:
    """Mark an event live, ended or cancelled; ``stream_url`` is what viewers watch while it is live."""
    if stream_url and not playable_url(stream_url):
        raise ArchiveError(STREAM_URL_PROBLEM)
    with store.transaction() as session:
        event = session.scalar(select(Event).where(Event.slug == slug))
        if event is None:
            raise ArchiveError(f"no event with slug {slug!r}")
        event.status = status.value
        if stream_url is not None:
            event.stream_url = stream_url
        ArchiveStore.audit(session, actor, f"event.{status.value}", f"event:{slug}", event.title)
    return event
