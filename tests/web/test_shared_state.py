"""With ``web.redis_url`` the rate limits and the page cache are shared by every process on the private Redis; without
it each process keeps its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis
from flask import Flask

from streamkit.web.app import create_app, limiter_storage_uri
from tests.conftest import ROOT
from tests.web.conftest import SECRET, csrf_token, web_settings

# Another process with the same settings: it signs in wrongly five times and renders the archive page once.
OTHER_WORKER = """
import json, sys
from pathlib import Path
from streamkit.web.app import create_app
from tests.web.conftest import SECRET, csrf_token, web_settings
site = create_app(web_settings(Path(sys.argv[1]), redis_url=sys.argv[2] or None), secret_key=SECRET)
client = site.test_client()
logins = []
for _ in range(5):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    data = {"username": "archivist", "password": "wrong", "csrf_token": token}
    logins.append(client.post("/admin/login", data=data).status_code)
visitor = site.test_client()
print(json.dumps({"logins": logins, "archive": visitor.get("/archive").headers.get("X-Cache")}))
"""


def other_worker(tmp_path: Path, redis_url: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, str(tmp_path), redis_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return answer


def this_worker(tmp_path: Path, redis_url: str | None) -> Flask:
    return create_app(web_settings(tmp_path, redis_url=redis_url), secret_key=SECRET)


def test_two_processes_share_the_sign_in_limit_and_cached_pages(tmp_path: Path, redis_url: str) -> None:
    site = this_worker(tmp_path, redis_url)  # migrates the database the other process then opens
    first = other_worker(tmp_path, redis_url)
    assert first == {"logins": [401] * 5, "archive": "MISS"}
    client = site.test_client()
    login = client.get("/admin/login")
    attempt = {"username": "archivist", "password": "wrong", "csrf_token": csrf_token(login.get_data(as_text=True))}
    assert client.post("/admin/login", data=attempt).status_code == 429  # the sixth attempt, counted in Redis
    shared = site.test_client().get("/archive")
    assert shared.status_code == 200 and shared.headers["X-Cache"] == "HIT"
    assert "<html" in shared.get_data(as_text=True)
    with redis.Redis.from_url(redis_url) as connection:
        assert connection.keys("streamkit:page:*") and connection.keys("LIMITS*")


def test_a_change_is_seen_at_once_through_the_shared_cache(tmp_path: Path, redis_url: str) -> None:
    from tests.web.test_hardening import add_entry

    site = this_worker(tmp_path, redis_url)
    assert other_worker(tmp_path, redis_url)["archive"] == "MISS"
    add_entry(site.extensions["streamkit_store"], "新发布的录像")  # a new revision: the stored page is unreachable
    page = site.test_client().get("/archive")
    assert page.headers["X-Cache"] == "MISS" and "新发布的录像" in page.get_data(as_text=True)


def test_without_redis_each_process_keeps_its_own(tmp_path: Path) -> None:
    site = this_worker(tmp_path, None)
    assert other_worker(tmp_path, "") == {"logins": [401] * 5, "archive": "MISS"}
    client = site.test_client()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    attempt = {"username": "archivist", "password": "wrong", "csrf_token": token}
    assert client.post("/admin/login", data=attempt).status_code == 401  # a wrong password, not yet the limit
    assert site.test_client().get("/archive").headers["X-Cache"] == "MISS"


def test_a_redis_that_does_not_answer_costs_the_cache_not_the_page(tmp_path: Path) -> None:
    gone = f"unix://{tmp_path / 'no-redis.sock'}"
    site = this_worker(tmp_path, gone)
    for _ in range(2):
        page = site.test_client().get("/archive")
        assert page.status_code == 200 and page.headers["X-Cache"] == "MISS"


def test_the_limits_package_gets_the_socket_in_its_own_spelling() -> None:
    from streamkit.config.settings import WebSettings

    assert limiter_storage_uri(WebSettings()) == "memory://"
    assert limiter_storage_uri(WebSettings(redis_url="unix:///run/r.sock")) == "redis+unix:///run/r.sock"
    assert limiter_storage_uri(WebSettings(redis_url="redis://:pw@cache:6379/2")) == "redis://:pw@cache:6379/2"
    explicit = WebSettings(redis_url="redis://cache", rate_limit_storage_uri="memcached://m:11211")
    assert limiter_storage_uri(explicit) == "memcached://m:11211"
    assert "pw" not in repr(WebSettings(redis_url="redis://:pw@cache:6379/2"))
