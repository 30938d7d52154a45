"""Fixtures for the site: a fresh database and media folder per test, an app over it, staff sign-in helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.events import EventDraft, create_event
from streamkit.archive.models import Event
from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import Settings, WebSettings
from streamkit.web import create_app
from streamkit.web.accounts import add_user

SECRET = "test-secret-key-that-is-long-enough"
STAFF = ("archivist", "correct horse battery")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

CAPTIONS_VTT = """WEBVTT

00:00:00.000 --> 00:00:02.500
向英烈默哀

00:00:02.500 --> 00:00:06.000
敬献花篮
"""
CHAPTERS_VTT = """WEBVTT

chapter-1
00:00:00.000 --> 00:00:02.000
开场

chapter-2
00:00:02.000 --> 00:00:05.000
敬献花篮
"""


def web_settings(tmp_path: Path, **overrides: object) -> Settings:
    fields: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'site.db'}",
        "media_dir": tmp_path / "media",
        "secure_cookies": False,
        **overrides,
    }
    return Settings(web=WebSettings.model_validate(fields))


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(web_settings(tmp_path), secret_key=SECRET)


@pytest.fixture
def store(app: Flask) -> Iterator[ArchiveStore]:
    archive: ArchiveStore = app.extensions["streamkit_store"]
    yield archive
    archive.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the form"
    return found.group(1)


@dataclass
class Staff:
    client: FlaskClient

    def token(self, path: str = "/admin/") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict[str, str], form_path: str | None = None) -> object:
        return self.client.post(path, data={**data, "csrf_token": self.token(form_path or path)})


def sign_in(client: FlaskClient, username: str = STAFF[0], password: str = STAFF[1]) -> object:
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def staff(store: ArchiveStore, client: FlaskClient) -> Staff:
    add_user(store, *STAFF)
    response = sign_in(client)
    assert response.status_code == 302  # type: ignore[attr-defined]
    return Staff(client)


def make_event(
    store: ArchiveStore,
    title: str = "清明祭英烈仪式",
    *,
    starts_in: timedelta = timedelta(days=2),
    minutes: int = 60,
    status: str = "upcoming",
    **fields: str,
) -> Event:
    # Drafts hold local time at the venue (Asia/Shanghai by default), not the machine's.
    start = (datetime.now(ZoneInfo("Asia/Shanghai")) + starts_in).replace(second=0, microsecond=0, tzinfo=None)
    draft = EventDraft(
        title=title,
        start_local=start,
        end_local=start + timedelta(minutes=minutes),
        status=status,
        **fields,  # type: ignore[arg-type]
    )
    return create_event(store, draft, actor="test")


@pytest.fixture
def vtt_files(tmp_path: Path) -> tuple[Path, Path]:
    captions = tmp_path / "captions.vtt"
    captions.write_text(CAPTIONS_VTT, encoding="utf-8")
    chapters = tmp_path / "chapters.vtt"
    chapters.write_text(CHAPTERS_VTT, encoding="utf-8")
    return captions, chapters
