"""The families' public forms (proxy sweeping, relatives' claims) against hostile input: every payload in every
field, broken bodies and encodings, oversized posts. Never a 500, never a payload back unescaped, nothing stored
from a refused post; and the rate limit holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.participation.family_models import ProxySweep, RelativeClaim
from streamkit.participation.relatives import mark_sought
from streamkit.register.importer import import_register
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.participation.conftest import register_file
from tests.participation.family import family_settings, sweep_form
from tests.web.conftest import SECRET, csrf_token
from tests.web.test_route_probe import IMG, PAYLOADS, SCRIPT

HOSTILE = (*PAYLOADS, "", " ", "\u200b", "2026-04-04T00:00", "0000-00-00", "+86", "１" * 11, "y" * 100_000)
FORMS = {
    "/martyrs/1/proxy-sweep": ("name", "relation", "phone", "preferred_date", "wishes", "consent"),
    "/relatives/3/claim": ("name", "contact", "knowledge", "consent"),
}


def _claim(token: str) -> dict[str, str]:
    return {"csrf_token": token, "name": "张三", "contact": "13912345678", "knowledge": "我是他的侄孙", "consent": "y"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(family_settings(tmp_path, request_rate_limit="100000 per hour"), secret_key=SECRET)
    archive: ArchiveStore = app.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    mark_sought(archive, 3, "寻找亲属", actor="test")
    yield app
    archive.dispose()


def _stored(site: Flask) -> int:
    archive: ArchiveStore = site.extensions[STORE_KEY]
    with archive.session() as session:
        return (session.scalar(select(func.count(ProxySweep.id))) or 0) + (
            session.scalar(select(func.count(RelativeClaim.id))) or 0
        )


@pytest.mark.slow
def test_every_field_survives_every_payload(site: Flask) -> None:
    client = site.test_client()
    problems = []
    for path, fields in FORMS.items():
        token = csrf_token(client.get(path).get_data(as_text=True))
        good = sweep_form(token) if "proxy" in path else _claim(token)
        for field in fields:
            for payload in HOSTILE:
                before = _stored(site)
                response = client.post(path, data={**good, field: payload})
                body = response.get_data(as_text=True)
                where = f"{path} {field}={payload[:20]!r}"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                if SCRIPT in body or IMG in body:
                    problems.append(f"{where}: payload reflected unescaped")
                if response.status_code != 303 and _stored(site) != before:
                    problems.append(f"{where}: refused but stored")
    assert problems == []


def test_broken_bodies_get_a_clear_answer(site: Flask) -> None:
    client = site.test_client()
    for path in FORMS:
        token = csrf_token(client.get(path).get_data(as_text=True))
        bodies = [
            (b"name=\xff\xfe&csrf_token=" + token.encode(), "application/x-www-form-urlencoded"),
            (b'{"name": "x"}', "application/json"),
            (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
            (b"a=" + b"%" * 10, "application/x-www-form-urlencoded"),
            (b"name=a&name=b&csrf_token=" + token.encode(), "application/x-www-form-urlencoded"),
        ]
        for body, kind in bodies:
            response = client.post(path, data=body, content_type=kind)
            assert 400 <= response.status_code < 500, (path, body[:20], response.status_code)
        huge = client.post(path, data={"csrf_token": token, "name": "x" * (2 << 20)})
        assert huge.status_code == 413
        assert client.post(path, data={"name": "张三"}).status_code == 400  # no CSRF token
    assert _stored(site) == 0


def test_the_rate_limit_holds_per_client(tmp_path: Path) -> None:
    app = create_app(family_settings(tmp_path, request_rate_limit="2 per hour"), secret_key=SECRET)
    archive: ArchiveStore = app.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    client: FlaskClient = app.test_client()
    token = csrf_token(client.get("/martyrs/1/proxy-sweep").get_data(as_text=True))
    answers = [client.post("/martyrs/1/proxy-sweep", data=sweep_form(token)).status_code for _ in range(3)]
    assert answers == [303, 303, 429]
    assert client.get("/martyrs/1/proxy-sweep").status_code == 200  # reading the form is not limited
    archive.dispose()


@pytest.mark.slow
def test_every_staff_form_of_the_family_pages_survives_every_payload(site: Flask) -> None:
    from streamkit.web.accounts import add_user
    from tests.web.conftest import ADMIN, STAFF, sign_in

    archive: ArchiveStore = site.extensions[STORE_KEY]
    add_user(archive, *STAFF, roles=ADMIN)
    public, staff = site.test_client(), site.test_client()
    token = csrf_token(public.get("/martyrs/1/proxy-sweep").get_data(as_text=True))
    assert public.post("/martyrs/1/proxy-sweep", data=sweep_form(token)).status_code == 303
    claim_token = csrf_token(public.get("/relatives/3/claim").get_data(as_text=True))
    assert public.post("/relatives/3/claim", data=_claim(claim_token)).status_code == 303
    assert sign_in(staff).status_code == 302  # type: ignore[attr-defined]
    token = csrf_token(staff.get("/admin/family/sweeps/1").get_data(as_text=True))
    keys = ("day", "entry_id", "martyr_id", "note", "status", "wiped", "photos")
    problems = []
    for rule in site.url_map.iter_rules():
        if not rule.endpoint.startswith("family_admin.") or "POST" not in (rule.methods or set()):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<id:{arg}>", "1").replace(f"<any(found, unmark):{arg}>", "found")
        for key in keys:
            for payload in HOSTILE:
                response = staff.post(path, data={"csrf_token": token, key: payload})
                body = response.get_data(as_text=True)
                response.close()
                if response.status_code >= 500:
                    problems.append(f"{path} {key}={payload[:20]!r}: {response.status_code}")
                if SCRIPT in body or IMG in body:
                    problems.append(f"{path} {key}={payload[:20]!r}: payload reflected unescaped")
    assert problems == []
