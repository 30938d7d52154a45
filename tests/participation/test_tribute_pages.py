"""Tributes on the martyr's page: the plain form, the JSON answer the script reads, CSRF, keys, caps and limits."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import text

from streamkit.archive.store import ArchiveStore
from tests.participation.conftest import JSON
from tests.web.conftest import csrf_token

KEY_RE = re.compile(r'name="key" type="hidden" value="([^"]+)"')


def form(client: FlaskClient, martyr_id: int = 1) -> tuple[str, str]:
    html = client.get(f"/martyrs/{martyr_id}").get_data(as_text=True)
    found = KEY_RE.search(html)
    assert found
    return csrf_token(html), found.group(1)


def offer(client: FlaskClient, key: str, kind: str = "flower", martyr_id: int = 1, token: str = "") -> object:
    token = token or form(client, martyr_id)[0]
    data = {"csrf_token": token, "kind": kind, "key": key}
    return client.post(f"/martyrs/{martyr_id}/tributes", data=data, headers=JSON)


def test_the_page_has_a_form_with_a_fresh_key_each_time(client: FlaskClient) -> None:
    first, second = form(client)[1], form(client)[1]
    assert first != second
    html = client.get("/martyrs/1").get_data(as_text=True)
    assert 'action="/martyrs/1/tributes"' in html and "献花" in html and "点烛" in html and "鞠躬" in html
    assert "js/tributes.js" in html


def test_without_javascript_the_form_posts_and_the_page_shows_the_count(client: FlaskClient) -> None:
    token, key = form(client)
    answer = client.post("/martyrs/1/tributes", data={"csrf_token": token, "kind": "candle", "key": key})
    assert answer.status_code == 303 and answer.headers["Location"] == "/martyrs/1?offered=candle#tributes"
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert '<output class="tribute-count" data-kind="candle">1</output>' in html and "心意已记下" in html
    again = client.post("/martyrs/1/tributes", data={"csrf_token": token, "kind": "candle", "key": key})
    assert again.status_code == 303  # the browser re-sent the form: answered the same, not counted twice
    assert 'data-kind="candle">1</output>' in client.get("/martyrs/1").get_data(as_text=True)


def test_the_json_answer_carries_the_counts_and_a_retry_is_not_counted_twice(client: FlaskClient) -> None:
    token, _ = form(client)
    first = offer(client, "k" * 20, token=token)
    retry = offer(client, "k" * 20, token=token)
    assert first.status_code == retry.status_code == 200  # type: ignore[attr-defined]
    assert first.json == {"outcome": "counted", "counts": {"flower": 1, "candle": 0, "bow": 0}}  # type: ignore[attr-defined]
    assert retry.json["outcome"] == "repeated" and retry.json["counts"]["flower"] == 1  # type: ignore[attr-defined]


def test_the_client_address_is_never_stored(client: FlaskClient, store: ArchiveStore) -> None:
    token, key = form(client)
    environ = {"REMOTE_ADDR": "198.51.100.23"}
    data = {"csrf_token": token, "kind": "bow", "key": key}
    assert client.post("/martyrs/1/tributes", data=data, headers=JSON, environ_base=environ).status_code == 200
    with store.engine.connect() as connection:
        stored = [str(value) for row in connection.execute(text("SELECT * FROM tributes")) for value in row]
    assert stored and not any("198.51.100" in value for value in stored)


def test_over_the_daily_cap_the_answer_is_429_with_the_counts(client: FlaskClient) -> None:
    token, _ = form(client)
    answers = [offer(client, f"cap{i:020d}", token=token) for i in range(4)]  # the fixture caps at 3
    assert [a.status_code for a in answers] == [200, 200, 200, 429]  # type: ignore[attr-defined]
    assert answers[-1].json == {"outcome": "capped", "counts": {"flower": 3, "candle": 0, "bow": 0}}  # type: ignore[attr-defined]
    assert offer(client, "other" * 4, martyr_id=2, token=token).status_code == 200  # type: ignore[attr-defined]


def test_the_rate_limit_answers_429_before_anything_is_written(client: FlaskClient) -> None:
    token, _ = form(client)
    codes = [offer(client, f"rate{i:020d}", martyr_id=1 + i % 4, token=token).status_code for i in range(9)]  # type: ignore[attr-defined]
    assert codes.count(429) == 1 and codes[-1] == 429  # 8 per minute in the fixture, the cap (3) not reached


def test_bad_requests_are_refused_plainly(client: FlaskClient) -> None:
    token, key = form(client)
    post = client.post
    assert post("/martyrs/1/tributes", data={"kind": "flower", "key": key}).status_code == 400  # no CSRF token
    assert post("/martyrs/1/tributes", data={"csrf_token": token, "kind": "wine", "key": key}).status_code == 400
    assert post("/martyrs/1/tributes", data={"csrf_token": token, "kind": "bow", "key": "short"}).status_code == 400
    assert post("/martyrs/1/tributes", data={"csrf_token": token, "kind": "bow", "key": "<x>" * 8}).status_code == 400
    assert offer(client, "h" * 20, martyr_id=5, token=token).status_code == 404  # type: ignore[attr-defined]
    assert offer(client, "h" * 20, martyr_id=99, token=token).status_code == 404  # type: ignore[attr-defined]
    assert client.get("/martyrs/1/tributes").status_code == 405
