"""Fixtures for the site: a fresh database and media folder per test, an app over it, staff sign-in helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.models import Role
from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import Settings, WebSettings
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.archive.conftest import vtt_files as vtt_files  # the same WebVTT files for the site's tests

SECRET = "test-secret-key-that-is-long-enough"
STAFF = ("archivist", "correct horse battery")
ADMIN = (Role.ADMINISTRATOR,)  # the staff the tests sign in as may open every admin page
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def web_settings(tmp_path: Path, **overrides: object) -> Settings:
    fields: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'site.db'}",
        "media_dir": tmp_path / "media",
        "secure_cookies": False,
        **overrides,
    }
    return Settings(web=WebSettings.model_validate(fields))


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The site on SQLite and on PostgreSQL (tests/conftest.py)."""
    site = create_app(web_settings(tmp_path, database_url=database_url), secret_key=SECRET)
    yield site
    site.extensions[STORE_KEY].dispose()  # its pooled connections, before the database is dropped


@pytest.fixture
def store(app: Flask) -> Iterator[ArchiveStore]:
    archive: ArchiveStore = app.extensions[STORE_KEY]
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
    add_user(store, *STAFF, roles=ADMIN)
    response = sign_in(client)
    assert response.status_code == 302  # type: ignore[attr-defined]
    return Staff(client)
