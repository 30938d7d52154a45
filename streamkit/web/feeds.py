"""Calendar, feeds and the JSON API: ``/schedule.ics``, ``/archive.atom``, ``/archive.rss``, ``/api/*``.

iCalendar clients (Outlook, Apple Calendar) reject feeds without PRODID, UID or DTSTAMP; each event keeps the UID
it was created with, so subscribers see edits as updates, not duplicates.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from streamkit.archive.models import ArchiveEntry, EntryKind, Event, EventStatus, utcnow
from streamkit.archive.store import ArchiveQuery
from streamkit.web.extensions import store
from streamkit.web.page_cache import cached_page
from streamkit.web.plain_text import plain
from streamkit.web.public import entry_source, media_url

bp = Blueprint("feeds", __name__)
PRODID = "-//streamkit//schedule 1.0//ZH"
FEED_SIZE = 50
CALENDAR_PAST_DAYS = 180


def build_calendar(events: list[Event], *, name: str, url_for_event: Any) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", plain(name))
    for event in events:
        item = CalendarEvent()
        item.add("uid", event.uid)
        item.add("dtstamp", event.updated_at.replace(tzinfo=UTC))
        item.add("last-modified", event.updated_at.replace(tzinfo=UTC))
        item.add("dtstart", event.start_local)
        item.add("dtend", event.end_local)
        item.add("summary", plain(event.title))
        if event.description:
            item.add("description", plain(event.description))
        if event.venue:
            item.add("location", plain(event.venue))
        item.add("url", url_for_event(event))
        item.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED.value else "CONFIRMED")
        calendar.add_component(item)
    calendar.add_missing_timezones()
    return calendar


@bp.get("/schedule.ics")
@cached_page(lag_s=3600)
def schedule_ics() -> Response:
    # Subscribers need what is coming; half a year of the past is plenty and keeps the feed quick to build.
    events = store().calendar_events(since=utcnow() - timedelta(days=CALENDAR_PAST_DAYS))
    calendar = build_calendar(
        events,
        name=gettext("Memorial ceremonies"),
        url_for_event=lambda e: url_for("public.event_page", slug=e.slug, _external=True),
    )
    return Response(calendar.to_ical(), mimetype="text/calendar")


@bp.get("/events/<slug>.ics")
@cached_page(lag_s=3600)
def event_ics(slug: str) -> Response:
    """One event as a calendar file: the add-to-calendar button."""
    event = store().event_by_slug(slug)
    if event is None:
        abort(404)
    calendar = build_calendar(
        [event],
        name=event.title,
        url_for_event=lambda e: url_for("public.event_page", slug=e.slug, _external=True),
    )
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


def _feed(*, itself: str, enclosures: bool) -> FeedGenerator:
    """The archive feed, served at the endpoint ``itself``. feedgen 1.0 drops ``rel`` from Atom links, so an Atom
    enclosure would read as a second alternate link: enclosures go only into RSS, and Atom readers follow the page
    link."""
    entries = store().list_entries(ArchiveQuery(), per_page=FEED_SIZE).items
    feed = FeedGenerator()
    listing = url_for("public.archive_page", _external=True)
    feed.id(listing)
    feed.title(gettext("Memorial archive: recordings and tours"))
    feed.subtitle(gettext("Ceremony recordings and guided tours"))
    feed.author({"name": gettext("Online remembrance")})  # RFC 4287: a feed without one is not valid Atom
    feed.link(href=url_for(itself, _external=True), rel="self")
    feed.link(href=listing, rel="alternate")  # last, because feedgen makes the last link RSS's <channel><link>
    feed.language(current_app.config["STREAMKIT_DEFAULT_LOCALE"])
    for entry in reversed(entries):  # feedgen prepends; newest ends up first
        item = feed.add_entry()
        page = url_for("public.entry_page", entry_id=entry.id, _external=True)
        item.id(page)
        item.guid(page, permalink=True)
        item.title(plain(entry.title))
        item.link(href=page)
        item.description(plain(entry.description or entry.title))
        item.published(entry.published_at.replace(tzinfo=UTC))
        item.updated(entry.updated_at.replace(tzinfo=UTC))
        source = entry_source(entry, external=True)
        if source and enclosures:
            item.enclosure(source, "0", "video/mp4")
        for tag in entry.tag_names:
            item.category(term=plain(tag))
    return feed


@bp.get("/archive.atom")
@cached_page(lag_s=3600)
def archive_atom() -> Response:
    return Response(
        _feed(itself="feeds.archive_atom", enclosures=False).atom_str(pretty=False), mimetype="application/atom+xml"
    )


@bp.get("/archive.rss")
@cached_page(lag_s=3600)
def archive_rss() -> Response:
    return Response(
        _feed(itself="feeds.archive_rss", enclosures=True).rss_str(pretty=False), mimetype="application/rss+xml"
    )


def event_json(event: Event) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "slug": event.slug,
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "campaign": event.campaign,
        "start": event.start_local.isoformat(),
        "end": event.end_local.isoformat(),
        "timezone": event.timezone,
        "status": event.status,
        "stream_url": event.stream_url if event.status == EventStatus.LIVE.value else "",
        "url": url_for("public.event_page", slug=event.slug, _external=True),
    }


def entry_json(entry: ArchiveEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "title": entry.title,
        "description": entry.description,
        "duration_ms": entry.duration_ms,
        "published_at": entry.published_at.replace(tzinfo=UTC).isoformat(),
        "campaign": entry.campaign,
        "venue": entry.venue,
        "tags": entry.tag_names,
        "media_url": entry_source(entry, external=True),
        "hls_url": entry.hls_url,
        "poster_url": media_url(entry.poster_file, external=True),
        "captions_url": media_url(entry.captions_file, external=True),
        "chapters_url": media_url(entry.chapters_file, external=True),
        "url": url_for("public.entry_page", entry_id=entry.id, _external=True),
    }


@bp.get("/api/events")
def api_events() -> dict[str, Any]:
    which = request.args.get("when", "upcoming")
    archive = store()
    if which == "upcoming":
        events = archive.upcoming_events()
    elif which == "past":
        events = archive.past_events()
    else:
        abort(400)
    return {"events": [event_json(e) for e in events]}


@bp.get("/api/archive")
def api_archive() -> dict[str, Any]:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    kind = request.args.get("kind", "")
    if kind not in ("", *(k.value for k in EntryKind)):
        abort(400)
    query = ArchiveQuery(kind=kind, tag=request.args.get("tag", ""), text=request.args.get("q", "")[:100])
    found = store().list_entries(query, page=page, per_page=current_app.config["STREAMKIT_PAGE_SIZE"])
    return {
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "entries": [entry_json(e) for e in found.items],
    }
