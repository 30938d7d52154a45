"""The site served on a free local port and Debian's Chromium driving it: shared by every browser test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streamkit.archive.store import ArchiveStore
from streamkit.web.extensions import STORE_KEY
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import STAFF


def require_chromium() -> Any:
    """Playwright's sync API; skips the calling test module on a machine without Debian's chromium."""
    if not Path(CHROMIUM).exists():  # CI installs chromium (scripts/system-packages.txt); only a bare machine skips
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


class LiveSite:
    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self.store: ArchiveStore = app.extensions[STORE_KEY]
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.store.dispose()


@contextmanager
def serving(app: Flask) -> Iterator[LiveSite]:
    """The app served until the block ends, then stopped (server shut down, thread joined, store disposed)."""
    live = LiveSite(app)
    try:
        yield live
    finally:
        live.stop()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, closed when the block ends."""
    sync_api = require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, username: str = STAFF[0], password: str = STAFF[1]) -> None:
    """Fill and send the staff login form the page shows."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
