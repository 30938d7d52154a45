"""Messages of remembrance: held until a moderator approves, a kind page for the author whatever the pre-filter
found, the queue with matches highlighted, decisions in the audit log, every user text escaped."""

from __future__ import annotations

from flask.testing import FlaskClient

from streamkit.archive.store import ArchiveStore
from streamkit.web.accounts import add_user
from tests.web.conftest import ADMIN, STAFF, csrf_token, sign_in

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def write(client: FlaskClient, body: str, author: str = "小明", martyr_id: int = 1) -> object:
    token = csrf_token(client.get("/martyrs/1").get_data(as_text=True))
    data = {"csrf_token": token, "author": author, "body": body}
    return client.post(f"/martyrs/{martyr_id}/messages", data=data)


def staff_client(client: FlaskClient, store: ArchiveStore) -> FlaskClient:
    add_user(store, *STAFF, roles=ADMIN)
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    return client


def decide(staff: FlaskClient, message_id: int, decision: str, reason: str = "") -> str:
    token = csrf_token(staff.get("/admin/messages/").get_data(as_text=True))
    answer = staff.post(f"/admin/messages/{message_id}/{decision}", data={"csrf_token": token, "reason": reason})
    assert answer.status_code == 303
    return staff.get("/admin/messages/").get_data(as_text=True)


def test_the_author_sees_the_same_kind_page_whatever_the_prefilter_found(client: FlaskClient) -> None:
    pages = []
    for body in ("英烈千古，永垂不朽！", "傻1逼 加微信 abc12345"):
        answer = write(client, body)
        assert answer.status_code == 303 and answer.headers["Location"] == "/martyrs/1/messages/received"  # type: ignore[attr-defined]
        pages.append(client.get("/martyrs/1/messages/received").get_data(as_text=True))
    assert pages[0] == pages[1] and "审核后将在页面上显示" in pages[0]
    assert "傻" not in pages[1] and "微信" not in pages[1]
    page = client.get("/martyrs/1").get_data(as_text=True)
    assert "永垂不朽" not in page and "傻1逼" not in page  # nothing public before review


def test_the_queue_highlights_matches_and_decisions_are_audited(client: FlaskClient, store: ArchiveStore) -> None:
    write(client, "英烈千古，永垂不朽！", author="")
    write(client, "傻1逼 加微信 abc12345")
    staff = staff_client(client, store)
    queue = staff.get("/admin/messages/").get_data(as_text=True)
    assert queue.index("message-2") < queue.index("message-1")  # likely rejections first
    assert '<mark class="block" title="insult">傻1逼</mark>' in queue
    assert '<mark class="review" title="contact">微信 abc12345</mark>' in queue
    assert "message-1" not in decide(staff, 1, "approve")
    assert "a rejection needs a reason" in decide(staff, 2, "reject")  # no reason: refused, still queued
    assert "message-2" in staff.get("/admin/messages/").get_data(as_text=True)
    assert "message-2" not in decide(staff, 2, "reject", "insult")
    assert "already decided" in decide(staff, 2, "approve")
    audit = staff.get("/admin/audit").get_data(as_text=True)
    assert "message.approve" in audit and "message.reject" in audit and "insult" in audit
    page = client.get("/martyrs/1").get_data(as_text=True)
    assert "永垂不朽" in page and "傻1逼" not in page


def test_bad_messages_get_errors_beside_the_field_and_are_not_stored(client: FlaskClient, store: ArchiveStore) -> None:
    for body in ("", "x" * 501, "控制\x07字符"):
        answer = write(client, body)
        assert answer.status_code == 400  # type: ignore[attr-defined]
        assert 'class="error-msg"' in answer.get_data(as_text=True)  # type: ignore[attr-defined]
    hidden = write(client, "英烈千古", martyr_id=5)
    assert hidden.status_code == 404  # type: ignore[attr-defined]
    staff = staff_client(client, store)
    assert "没有待审核的寄语" in staff.get("/admin/messages/").get_data(as_text=True)


def test_writing_is_rate_limited_per_client(client: FlaskClient) -> None:
    codes = [write(client, f"英烈千古 {n}").status_code for n in range(5)]  # type: ignore[attr-defined]
    assert codes == [303, 303, 303, 303, 429]  # the fixture allows 4 an hour


def test_the_queue_needs_sign_in(client: FlaskClient) -> None:
    assert client.get("/admin/messages/").status_code == 302
    token = csrf_token(client.get("/martyrs/1").get_data(as_text=True))
    assert client.post("/admin/messages/1/approve", data={"csrf_token": token}).status_code == 302


def test_user_text_is_escaped_on_the_page_and_in_the_queue(client: FlaskClient, store: ArchiveStore) -> None:
    write(client, PAYLOAD, author="<b>x</b>")
    staff = staff_client(client, store)
    queue = staff.get("/admin/messages/").get_data(as_text=True)
    decide(staff, 1, "approve")
    page = client.get("/martyrs/1").get_data(as_text=True)
    for html in (queue, page):
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>x</b>" not in html
        assert "&lt;script&gt;" in html
