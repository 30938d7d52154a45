"""Every GET route of the site, public and signed in, walked with hostile query strings and path values.

The walk reads the routes from the app itself, so a route added later is probed without a change here. Each answer
must be below 500, must not carry a payload back unescaped, and must not redirect off the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.store import ArchiveStore
from streamkit.register.importer import import_register
from tests.archive.conftest import make_event
from tests.register.conftest import write_csv
from tests.web.conftest import Staff
from tests.web.test_hardening import add_entry

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (
    SCRIPT,
    IMG,
    "'\x00\x1b\u202e",
    "../../../../etc/passwd",
    "99999999999999999999999",
    "-1",
    "𠮷䶮" * 3,
    "x" * 3000,
)
# the query keys the site reads anywhere, plus the ones url_for would take as its own
KEYS = ("q", "page", "tag", "year", "kind", "campaign", "venue", "cemetery", "section", "unit", "place", "died",
        "offset", "next", "district", "day", "endpoint", "_method", "_external", "_anchor", "_scheme")  # fmt: skip
STREAMS = {"overlays.events"}  # server-sent events never end: probed by tests/overlays/test_serving.py
REGISTER = [
    ("姓名", "籍贯", "牺牲时间", "陵园", "墓区", "排", "号"),
    ("王志国", "山东", "1947", "南山陵园", "A", "1", "1"),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: hundreds of requests per test; what the database itself does with odd input is probed on both
    databases by test_pages.py (odd input) and the store tests."""
    return f"sqlite:///{tmp_path / 'site.db'}"


@pytest.fixture
def filled(store: ArchiveStore, tmp_path: Path) -> ArchiveStore:
    make_event(store, title="清明公祭")
    add_entry(store, "公祭录像", tags=("清明",))
    import_register(store, write_csv(tmp_path / "register.csv", REGISTER[1:], REGISTER[0]))
    return store


def _requests(app: Flask, known: dict[str, str], prefix: str = "/") -> Iterator[str]:
    """Every GET route under ``prefix`` with known path values and each hostile query, then with each payload in
    each path value and no query. Each query key and each path value meets every payload; their cross product
    (every hostile query again on every hostile path) would multiply the requests by the number of queries."""
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in STREAMS or not rule.rule.startswith(prefix):
            continue
        values = {arg: known.get(arg, "x") for arg in rule.arguments}
        path = _fill(rule.rule, values)
        yield path
        yield from (f"{path}?{key}={quote(value, safe='')}" for key in KEYS for value in PAYLOADS)
        for arg in rule.arguments:
            for payload in PAYLOADS:
                yield _fill(rule.rule, values | {arg: payload})


def _fill(template: str, values: dict[str, str]) -> str:
    path = template
    for arg, value in values.items():
        for converter in ("", "int:", "id:", "path:", "any(publish, unpublish):"):  # the site's converters
            path = path.replace(f"<{converter}{arg}>", quote(value, safe=""))
    return path


def _probe(client: FlaskClient, requests: list[str]) -> list[str]:
    problems = []
    for request in requests:
        response = client.get(request)
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/")) else ""
        response.close()  # a file response holds its file open until closed
        where = request[:120]
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code}")
        elif SCRIPT in body or IMG in body:
            problems.append(f"{where}: payload reflected unescaped")
        location = response.headers.get("Location", "")
        if location and urlsplit(location).netloc not in ("", "localhost"):
            problems.append(f"{where}: redirects to {location}")
        if response.status_code == 429:
            raise AssertionError("the probe hit a rate limit; it must reach every route")
    return problems


KNOWN = {"slug": "x", "entry_id": "1", "event_id": "1", "martyr_id": "1", "code": "en", "name": "lower-third",
         "filename": "overlay.css", "action": "publish"}  # fmt: skip


@pytest.mark.slow
def test_every_public_route_survives_hostile_paths_and_queries(
    app: Flask, client: FlaskClient, filled: ArchiveStore
) -> None:
    requests = list(_requests(app, KNOWN))
    assert any(r.startswith("/martyrs/") for r in requests) and any(r.startswith("/admin/") for r in requests)
    assert _probe(client, requests) == []


@pytest.mark.slow
def test_every_admin_route_survives_hostile_paths_and_queries(app: Flask, staff: Staff, filled: ArchiveStore) -> None:
    admin = list(_requests(app, KNOWN, "/admin/"))
    assert len({urlsplit(r).path for r in admin}) > 5
    assert _probe(staff.client, admin) == []
