"""The site against a careless or hostile public: redirects, sessions, control characters, query strings, edge
dates, byte ranges, what the filters reveal, URLs the CSP cannot play, feed metadata, the sign-in message."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from streamkit.web.accounts import add_user
from tests.archive.conftest import make_event
from tests.web.conftest import STAFF, Staff

ATOM = "{http://www.w3.org/2005/Atom}"
# C0 and C1 controls but tab, line feed and carriage return
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}
OTHER_BROWSER = {"User-Agent": "another browser"}


def event_form(start: str, end: str, **changes: str) -> dict[str, str]:
    form = {"title": "清明公祭", "description": "", "venue": "", "campaign": "", "start": start, "end": end}
    return {**form, "timezone": "Asia/Shanghai", "stream_url": "", "status": "upcoming", **changes}


def next_week() -> tuple[str, str]:
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) + timedelta(days=7)
    return start.strftime("%Y-%m-%dT%H:%M"), (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def entry_form(**changes: str) -> dict[str, str]:
    form = {"title": "公祭录像", "description": "", "kind": "recording", "media_url": "https://v.example/a.mp4"}
    extra = {"hls_url": "", "duration_s": "60", "campaign": "", "venue": "", "tags": "", "event_slug": ""}
    return {**form, **extra, "published": "y", **changes}


def add_entry(store: ArchiveStore, title: str, *, tags: tuple[str, ...] = (), published: bool = True) -> None:
    with store.transaction() as session:
        entry = ArchiveEntry(title=title, kind="recording", media_url="https://v.example/a.mp4", published=published)
        entry.tags = ArchiveStore.tags_for(session, tags)
        session.add(entry)


# -- redirects ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/archive%3Ftag%3D%E6%B8%85%E6%98%8E", "/archive?tag=%E6%B8%85%E6%98%8E"),
        ("/events/2026-04-04-1a2b3c4d", "/events/2026-04-04-1a2b3c4d"),
        ("/%09/evil.example", "/"),
        ("/%0a", "/"),
        ("/%0d%0aX-Injected:%201", "/"),
        ("/%20/evil.example", "/"),
        ("//evil.example/", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/%7F/evil.example", "/"),
    ],
)
def test_language_switch_goes_back_only_to_a_path_on_this_site(client: FlaskClient, target: str, location: str) -> None:
    response = client.get(f"/lang/en?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert "X-Injected" not in response.headers


# -- sessions ----------------------------------------------------------------------------------------------------
def copy_session(staff: Staff) -> FlaskClient:
    cookie = staff.client.get_cookie("session")
    assert cookie is not None
    thief = staff.client.application.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def admin_status(client: FlaskClient) -> int:
    return client.get("/admin/", headers=OTHER_BROWSER, environ_base=ELSEWHERE).status_code


def test_a_copied_session_dies_when_its_user_signs_out(staff: Staff) -> None:
    thief = copy_session(staff)
    assert admin_status(thief) == 200  # while the user is signed in, the cookie is the sign-in
    assert staff.post("/admin/logout", {}, form_path="/admin/").status_code == 302  # type: ignore[attr-defined]
    assert admin_status(thief) == 302
    assert staff.client.get("/admin/").status_code == 302


def test_sessions_die_when_the_password_is_reset(staff: Staff, store: ArchiveStore, client: FlaskClient) -> None:
    thief = copy_session(staff)
    add_user(store, STAFF[0], "a new long password")
    assert admin_status(thief) == 302 and staff.client.get("/admin/").status_code == 302
    fresh = client.application.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', fresh.get("/admin/login").text)
    assert token is not None
    signed_in = fresh.post(
        "/admin/login", data={"username": STAFF[0], "password": "a new long password", "csrf_token": token[1]}
    )
    assert signed_in.status_code == 302 and fresh.get("/admin/").status_code == 200


# -- control characters ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/admin/events/new", event_form(*next_week(), title="清明\x01公祭")),
        ("/admin/events/new", event_form(*next_week(), description="全体肃立\x1b[31m")),
        ("/admin/events/new", event_form(*next_week(), venue="陵园\n广场")),
        ("/admin/entries/new", entry_form(title="录像\x7f")),
        ("/admin/entries/new", entry_form(tags="清明,\x0c")),
        ("/admin/entries/new", entry_form(description="说明\x85")),
    ],
)
def test_control_characters_are_refused_at_the_form(
    staff: Staff, store: ArchiveStore, path: str, form: dict[str, str]
) -> None:
    response: Any = staff.post(path, form)
    assert response.status_code == 400 and "控制字符" in response.text
    assert store.all_events() == [] and store.list_entries(published_only=False).total == 0


def test_a_description_keeps_its_line_breaks(staff: Staff, store: ArchiveStore) -> None:
    response: Any = staff.post("/admin/events/new", event_form(*next_week(), description="第一行\r\n\t第二行"))
    assert response.status_code == 302
    assert store.all_events()[0].description == "第一行\r\n\t第二行"


def test_feeds_never_carry_control_characters(client: FlaskClient, store: ArchiveStore) -> None:
    # text stored before the forms refused it, or by other writers
    add_entry(store, "录像\x01\x1b\x7f标题", tags=("清\x02明",))
    make_event(store, "仪式\x07\x00名称", description="第一行\n第二行\x0b", venue="陵园\x1f")
    for path in ["/archive.atom", "/archive.rss"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not CONTROLS.search(response.text), path
        ET.fromstring(response.data)  # well-formed XML
        assert "录像标题" in response.text, path
    ics = client.get("/schedule.ics")
    assert ics.status_code == 200
    assert not CONTROLS.search(ics.text.replace("\r\n", "")) and "\n" not in ics.text.replace("\r\n", "")
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    assert (str(event["SUMMARY"]), str(event["DESCRIPTION"])) == ("仪式名称", "第一行\n第二行")


# -- query strings ---------------------------------------------------------------------------------------------
def test_query_strings_never_reach_url_building(client: FlaskClient, store: ArchiveStore) -> None:
    for n in range(25):
        add_entry(store, f"录像 {n}", tags=("清明",))
    for query in ["endpoint=x", "_method=POST", "_external=1&_scheme=javascript&_anchor=x", "values=1&page=oops2"]:
        response = client.get(f"/archive?tag=清明&{query}")
        assert response.status_code in (200, 400), query
        if response.status_code == 200:
            links = re.findall(r'rel="(?:next|prev)" href="([^"]+)"', response.text)
            assert links == ["/archive?page=2&amp;tag=%E6%B8%85%E6%98%8E"], query


# -- edge dates --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "zone"),
    [
        ("0001-01-01T00:00", "0001-01-01T01:00", "Asia/Shanghai"),
        ("9999-12-31T22:00", "9999-12-31T23:00", "America/New_York"),
        ("9999-12-31T22:00", "9999-12-31T23:00", "Asia/Shanghai"),
    ],
)
def test_edge_dates_give_the_form_with_an_error(
    staff: Staff, store: ArchiveStore, start: str, end: str, zone: str
) -> None:
    response: Any = staff.post("/admin/events/new", event_form(start, end, timezone=zone))
    assert response.status_code == 400 and "年份必须在" in response.text
    assert store.all_events() == []


# -- byte ranges -------------------------------------------------------------------------------------------------
@pytest.fixture
def media_file(store: ArchiveStore) -> bytes:
    data = bytes(range(256)) * 256  # 65,536 bytes
    store.media_dir.mkdir(parents=True, exist_ok=True)
    (store.media_dir / "clip.mp4").write_bytes(data)
    return data


@pytest.mark.parametrize(
    ("header", "status", "content_range", "part"),
    [
        ("bytes=100-199", 206, "bytes 100-199/65536", slice(100, 200)),
        ("bytes=-100", 206, "bytes 65436-65535/65536", slice(65436, None)),
        ("bytes=-66536", 206, "bytes 0-65535/65536", slice(None)),
        ("bytes=65000-99999", 206, "bytes 65000-65535/65536", slice(65000, None)),
        ("bytes=0-1,5-6", 200, None, slice(None)),
        ("items=0-1", 200, None, slice(None)),
        ("BYTES=0-0", 206, "bytes 0-0/65536", slice(0, 1)),
        ("bytes=70000-70010", 416, "bytes */65536", slice(0, 0)),
        ("bytes=-0", 416, "bytes */65536", slice(0, 0)),
    ],
)
def test_byte_ranges_follow_rfc_9110(
    client: FlaskClient, media_file: bytes, header: str, status: int, content_range: str | None, part: slice
) -> None:
    with client.get("/media/clip.mp4", headers={"Range": header}) as response:
        assert response.status_code == status, header
        assert response.headers.get("Content-Range") == content_range, header
        if status != 416:
            assert response.data == media_file[part], header


def test_a_wrong_method_keeps_its_allow_header(client: FlaskClient, media_file: bytes) -> None:
    response = client.post("/media/clip.mp4")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "<h1>405</h1>" in response.text  # still the site's plain error page


# -- what the public filter reveals -----------------------------------------------------------------------------
def test_tags_of_unpublished_entries_stay_private(client: FlaskClient, store: ArchiveStore) -> None:
    add_entry(store, "公开录像", tags=("公祭",))
    add_entry(store, "草稿", tags=("内部草稿标签", "公祭"), published=False)
    assert store.facets()["tag"] == ["公祭"]
    assert "内部草稿标签" not in client.get("/archive").text


# -- URLs the site's CSP cannot play ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/admin/entries/new", entry_form(media_url="http://v.example/a.mp4")),
        ("/admin/entries/new", entry_form(media_url="", hls_url="http://v.example/live/index.m3u8")),
        ("/admin/events/new", event_form(*next_week(), stream_url="http://live.example/hls/index.m3u8")),
    ],
)
def test_plain_http_media_is_refused_at_input(
    staff: Staff, store: ArchiveStore, path: str, form: dict[str, str]
) -> None:
    response: Any = staff.post(path, form)
    assert response.status_code == 400 and "必须以 https:// 开头" in response.text
    assert store.all_events() == [] and store.list_entries(published_only=False).total == 0


def test_media_on_the_site_itself_is_accepted(staff: Staff, store: ArchiveStore) -> None:
    response: Any = staff.post("/admin/entries/new", entry_form(media_url="", hls_url="/media/replay/index.m3u8"))
    assert response.status_code == 302
    assert store.list_entries().items[0].hls_url == "/media/replay/index.m3u8"


# -- feed metadata -----------------------------------------------------------------------------------------------
def test_feeds_name_an_author_and_link_to_themselves(client: FlaskClient, store: ArchiveStore) -> None:
    add_entry(store, "录像")
    atom = ET.fromstring(client.get("/archive.atom").data)
    assert (atom.findtext(f"{ATOM}author/{ATOM}name") or "").strip()
    links = {link.get("rel"): link.get("href") for link in atom.findall(f"{ATOM}link")}
    assert links == {"alternate": "http://localhost/archive", "self": "http://localhost/archive.atom"}
    channel = ET.fromstring(client.get("/archive.rss").data).find("channel")
    assert channel is not None and channel.findtext("link") == "http://localhost/archive"
    [self_link] = channel.findall(f"{ATOM}link")
    assert (self_link.get("rel"), self_link.get("href")) == ("self", "http://localhost/archive.rss")


# -- the sign-in message -----------------------------------------------------------------------------------------
def test_the_sign_in_message_speaks_the_page_language(client: FlaskClient) -> None:
    chinese = client.get("/admin/", follow_redirects=True).text
    assert "请先登录" in chinese and "Please log in" not in chinese
    client.get("/lang/en")
    assert "Please log in to open this page." in client.get("/admin/audit", follow_redirects=True).text
