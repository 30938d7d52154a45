"""Staff admin: sign-in required, CSRF enforced, rate-limited login, bad input changes nothing, audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.web.accounts import add_user, authenticate
from tests.archive.conftest import make_event
from tests.web.conftest import ADMIN, STAFF, Staff, csrf_token, sign_in

ADMIN_GETS = [
    "/admin/",
    "/admin/events/new",
    "/admin/events/1/edit",
    "/admin/entries/new",
    "/admin/entries/1/edit",
    "/admin/audit",
]
ADMIN_POSTS = [
    "/admin/events/new",
    "/admin/events/1/cancel",
    "/admin/entries/new",
    "/admin/entries/1/unpublish",
    "/admin/logout",
]


def event_form(title: str = "清明公祭", **changes: str) -> dict[str, str]:
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0, tzinfo=None) + timedelta(days=3)
    form = {
        "title": title,
        "description": "全体肃立",
        "venue": "烈士陵园",
        "campaign": "清明2026",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "timezone": "Asia/Shanghai",
        "stream_url": "",
        "status": "upcoming",
    }
    return {**form, **changes}


def counts(store: ArchiveStore) -> tuple[int, int, int]:
    return len(store.all_events()), store.list_entries(published_only=False).total, len(store.audit_log())


def test_admin_requires_sign_in(client: FlaskClient, store: ArchiveStore) -> None:
    make_event(store)
    with store.transaction() as session:
        session.add(ArchiveEntry(title="x", kind="tour", media_url="https://v.example/x.mp4"))
    before = counts(store)
    for path in ADMIN_GETS:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login"), path
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    for path in ADMIN_POSTS:
        response = client.post(path, data={**event_form("闯入"), "csrf_token": token})
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], path
    assert counts(store) == before
    assert store.all_events()[0].status == "upcoming"


def test_csrf_is_enforced_on_login_and_admin_forms(client: FlaskClient, store: ArchiveStore) -> None:
    add_user(store, *STAFF, roles=ADMIN)
    response = client.post("/admin/login", data={"username": STAFF[0], "password": STAFF[1]})
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    before = counts(store)
    assert client.post("/admin/events/new", data=event_form()).status_code == 400
    assert client.post("/admin/events/new", data={**event_form(), "csrf_token": "forged"}).status_code == 400
    assert counts(store) == before


def test_login_is_rate_limited(client: FlaskClient, store: ArchiveStore) -> None:
    add_user(store, *STAFF, roles=ADMIN)
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    codes = [
        client.post(
            "/admin/login", data={"username": STAFF[0], "password": "wrong password", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    blocked = client.post("/admin/login", data={"username": STAFF[0], "password": STAFF[1], "csrf_token": token})
    assert blocked.status_code == 429 and "尝试次数过多" in blocked.get_data(as_text=True)
    assert [r.action for r in store.audit_log()].count("login.failed") == 5


def test_passwords_are_hashed_and_checked(store: ArchiveStore) -> None:
    user = add_user(store, "keeper", "a long enough password")
    assert "a long enough password" not in user.password_hash and user.password_hash.startswith("scrypt:")
    assert "password" not in repr(user) and user.password_hash not in repr(user)
    assert authenticate(store, "keeper", "a long enough password") is not None
    assert authenticate(store, "keeper", "a wrong password!") is None
    assert authenticate(store, "nobody", "a long enough password") is None
    with pytest.raises(ArchiveError, match="at least 10"):
        add_user(store, "short", "123")
    assert all("a long enough password" not in r.detail for r in store.audit_log())


def test_create_event_appears_on_schedule_and_calendar(staff: Staff, store: ArchiveStore) -> None:
    response = staff.post("/admin/events/new", event_form("管理员新建的仪式"))
    assert response.status_code == 302  # type: ignore[attr-defined]
    [event] = store.all_events()
    assert response.headers["Location"] == f"/events/{event.slug}"  # type: ignore[attr-defined]
    public = staff.client.application.test_client()
    assert "管理员新建的仪式" in public.get("/schedule").get_data(as_text=True)
    assert "X-Cache" not in staff.client.get("/schedule").headers  # staff always bypass the page cache
    calendar = Calendar.from_ical(public.get("/schedule.ics").data)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["管理员新建的仪式"]
    assert store.audit_log()[0].action == "event.create" and store.audit_log()[0].actor == STAFF[0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "该字段是必填字段"),
        ({"end": "2000-01-01T00:00"}, "结束时间必须晚于开始时间"),
        ({"stream_url": "javascript:alert(1)"}, "必须以 https:// 开头"),
        ({"timezone": "Mars/Olympus"}, "不是有效的选择"),
        ({"start": "tomorrow-ish"}, "该字段是必填字段"),
        ({"status": "exploded"}, "不是有效的选择"),
    ],
)
def test_bad_event_input_gives_a_message_and_changes_nothing(
    staff: Staff, store: ArchiveStore, changes: dict[str, str], message: str
) -> None:
    before = counts(store)
    response = staff.post("/admin/events/new", event_form(**changes))
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 400 and message in html and "未保存任何内容" in html  # type: ignore[attr-defined]
    assert counts(store) == before


def test_edit_and_cancel_event_are_audited(staff: Staff, store: ArchiveStore) -> None:
    event = make_event(store, "原标题")
    edit = f"/admin/events/{event.id}/edit"
    assert staff.post(edit, event_form("新标题")).status_code == 302  # type: ignore[attr-defined]
    bad = staff.post(edit, event_form("", end="2000-01-01T00:00"))
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert store.event_by_slug(event.slug).title == "新标题"  # type: ignore[union-attr]
    assert staff.post(f"/admin/events/{event.id}/cancel", {}, form_path="/admin/").status_code == 302  # type: ignore[attr-defined]
    found = store.event_by_slug(event.slug)
    assert found is not None and found.status == "cancelled" and found.uid == event.uid
    assert [r.action for r in store.audit_log()[:2]] == ["event.cancel", "event.update"]


def test_entries_add_edit_publish_unpublish(staff: Staff, store: ArchiveStore) -> None:
    form = {
        "title": "公祭录像",
        "description": "",
        "kind": "recording",
        "media_url": "https://video.example/gongji.mp4",
        "hls_url": "",
        "duration_s": "90",
        "campaign": "清明",
        "venue": "陵园",
        "tags": "公祭, 清明",
        "event_slug": "",
        "published": "y",
    }
    assert staff.post("/admin/entries/new", form).status_code == 302  # type: ignore[attr-defined]
    [entry] = store.list_entries().items
    assert (entry.duration_ms, entry.tag_names) == (90_000, ["公祭", "清明"])
    public = staff.client.application.test_client()
    assert public.get(f"/watch/{entry.id}").status_code == 200
    for bad, message in [
        ({"media_url": "javascript:alert(1)"}, "必须以 https:// 开头"),
        ({"event_slug": "nope"}, "没有这个标识的活动"),
    ]:
        response = staff.post(f"/admin/entries/{entry.id}/edit", {**form, **bad})
        assert response.status_code == 400 and message in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert store.entry(entry.id).media_url == "https://video.example/gongji.mp4"  # type: ignore[union-attr]
    assert staff.post(f"/admin/entries/{entry.id}/unpublish", {}, form_path="/admin/").status_code == 302  # type: ignore[attr-defined]
    assert public.get(f"/watch/{entry.id}").status_code == 404
    assert staff.post(f"/admin/entries/{entry.id}/publish", {}, form_path="/admin/").status_code == 302  # type: ignore[attr-defined]
    assert public.get(f"/watch/{entry.id}").status_code == 200
    actions = [r.action for r in store.audit_log()]
    assert actions[:3] == ["entry.publish", "entry.unpublish", "entry.create"]
    audit_page = staff.client.get("/admin/audit").get_data(as_text=True)
    assert "entry.unpublish" in audit_page and STAFF[0] in audit_page


def test_staff_session_expires_after_eight_hours(client: FlaskClient, store: ArchiveStore) -> None:
    add_user(store, *STAFF, roles=ADMIN)
    response = sign_in(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))  # type: ignore[attr-defined]
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(hours=7, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=8)


def test_logout_ends_the_session(staff: Staff) -> None:
    assert staff.post("/admin/logout", {}, form_path="/admin/").status_code == 302  # type: ignore[attr-defined]
    assert staff.client.get("/admin/").status_code == 302
