"""Fixtures for public participation: a site over a small register (the register tests' hard rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import Settings
from streamkit.register.importer import import_register
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.participation.family import family_settings
from tests.register.conftest import HARD_ROWS, HEADER, write_csv
from tests.web.conftest import ADMIN, SECRET, STAFF, web_settings
from tests.web.live_site import LiveSite, chromium, serving

JSON = {"Accept": "application/json"}


def register_file(tmp_path: Path) -> Path:
    """The hard rows, the last one hidden: 王志国 ×2, 𠮷䶮, 陳國樑 (南山烈士陵园), 李明 (北山陵园, hidden)."""
    rows = [(*row, "否") for row in HARD_ROWS[:-1]] + [(*HARD_ROWS[-1], "是")]
    return write_csv(tmp_path / "register.csv", rows, header=(*HEADER, "隐藏"))


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The site on SQLite and on PostgreSQL (tests/conftest.py)."""
    limits = {"tribute_daily_cap": 3, "tribute_rate_limit": "8 per minute", "message_rate_limit": "4 per hour"}
    limits["database_url"] = database_url
    site = create_app(web_settings(tmp_path, **limits), secret_key=SECRET)
    archive: ArchiveStore = site.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    yield site
    archive.dispose()


@contextmanager
def live_register_site(tmp_path: Path, settings: Settings) -> Iterator[LiveSite]:
    """The site served on a free port over the register file, for the browser tests."""
    with serving(create_app(settings, secret_key=SECRET)) as live:
        import_register(live.store, register_file(tmp_path))
        yield live


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@contextmanager
def family_app(tmp_path: Path, database_url: str = "") -> Iterator[Flask]:
    """The site with proxy sweeping and the search for relatives, over the register file, with an admin."""
    app = create_app(family_settings(tmp_path, database_url=database_url), secret_key=SECRET)
    archive: ArchiveStore = app.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    add_user(archive, *STAFF, roles=ADMIN)
    yield app
    archive.dispose()


@pytest.fixture
def family_site(tmp_path: Path) -> Iterator[Flask]:
    with family_app(tmp_path) as app:
        yield app


@pytest.fixture
def store(app: Flask) -> ArchiveStore:
    archive: ArchiveStore = app.extensions[STORE_KEY]
    return archive


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
