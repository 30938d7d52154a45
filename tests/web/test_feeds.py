"""Calendar and feeds parsed back with real parsers (icalendar, feedparser); the JSON API."""

from __future__ import annotations

from datetime import timedelta

import feedparser
from flask.testing import FlaskClient
from icalendar import Calendar

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from tests.archive.conftest import make_event


def read_calendar(client: FlaskClient) -> Calendar:
    response = client.get("/schedule.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_calendar_is_valid_and_keeps_uids_stable(client: FlaskClient, store: ArchiveStore) -> None:
    first = make_event(store, "清明公祭", venue="烈士陵园", description="全体肃立，默哀一分钟")
    make_event(store, "取消的仪式", status="cancelled")
    calendar = read_calendar(client)
    assert calendar["PRODID"] and calendar["VERSION"] == "2.0"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"清明公祭", "取消的仪式"}
    item = events["清明公祭"]
    assert str(item["UID"]) == first.uid and item.get("DTSTAMP") is not None
    start = item.decoded("DTSTART")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=8)
    assert item["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert start == first.start_local and item.decoded("DTEND") - start == timedelta(hours=1)
    assert str(item["LOCATION"]) == "烈士陵园" and str(item["URL"]).endswith(f"/events/{first.slug}")
    assert str(events["取消的仪式"]["STATUS"]) == "CANCELLED"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    with store.transaction() as session:
        session.merge(first).title = "清明公祭（改期）"
    renamed = {str(e["UID"]): str(e["SUMMARY"]) for e in read_calendar(client).walk("VEVENT")}
    assert renamed[first.uid] == "清明公祭（改期）"


def _entries(store: ArchiveStore, count: int) -> None:
    with store.transaction() as session:
        for n in range(count):
            entry = ArchiveEntry(title=f"录像 {n}", kind="recording", media_url=f"https://v.example/{n}.mp4")
            entry.tags = ArchiveStore.tags_for(session, ["清明"])
            session.add(entry)
        session.add(ArchiveEntry(title="未发布", kind="tour", media_url="https://v.example/x.mp4", published=False))


def test_atom_and_rss_parse_with_newest_first(client: FlaskClient, store: ArchiveStore) -> None:
    _entries(store, 3)
    atom = feedparser.parse(client.get("/archive.atom").data)
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    assert [e.title for e in atom.entries] == ["录像 2", "录像 1", "录像 0"]
    assert atom.entries[0].link.endswith("/watch/3")
    assert atom.entries[0].tags[0].term == "清明"
    rss = feedparser.parse(client.get("/archive.rss").data)
    assert not rss.bozo and rss.version.startswith("rss")
    assert [e.title for e in rss.entries] == ["录像 2", "录像 1", "录像 0"]
    assert rss.entries[0].link.endswith("/watch/3")
    assert rss.entries[0].enclosures[0].href == "https://v.example/2.mp4"


def test_json_api_events_and_archive_pages(client: FlaskClient, store: ArchiveStore) -> None:
    upcoming = make_event(store, "下一场")
    make_event(store, "上一场", starts_in=timedelta(days=-3))
    live = make_event(
        store, "直播中", starts_in=timedelta(minutes=-1), status="live", stream_url="https://l.example/a.m3u8"
    )
    events = client.get("/api/events").json["events"]  # type: ignore[index]
    assert [e["title"] for e in events] == ["直播中", "下一场"]
    assert events[0]["stream_url"] == "https://l.example/a.m3u8" and events[1]["stream_url"] == ""
    assert events[1]["uid"] == upcoming.uid and events[0]["slug"] == live.slug
    assert [e["title"] for e in client.get("/api/events?when=past").json["events"]] == ["上一场"]  # type: ignore[index]
    assert client.get("/api/events?when=someday").status_code == 400

    _entries(store, 25)
    second = client.get("/api/archive?page=2").json
    assert second is not None and (second["page"], second["pages"], second["total"]) == (2, 2, 25)
    assert len(second["entries"]) == 5 and second["entries"][0]["tags"] == ["清明"]
    bad = client.get("/api/archive?page=x")
    assert bad.status_code == 400 and bad.json == {"error": 400, "message": ""}


def test_single_event_calendar_file_for_add_to_calendar(client: FlaskClient, store: ArchiveStore) -> None:
    event = make_event(store, "清明公祭")
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f'href="/events/{event.slug}.ics"' in page
    response = client.get(f"/events/{event.slug}.ics")
    assert response.mimetype == "text/calendar" and "attachment" in response.headers["Content-Disposition"]
    [item] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(item["UID"]) == event.uid and str(item["SUMMARY"]) == "清明公祭"
    assert client.get("/events/nope.ics").status_code == 404
