"""Fixtures for overlay tests: the pages served in a thread, Debian's Chromium through Playwright, a private Redis."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from werkzeug.serving import make_server

from streamkit.overlays.bus import OverlayBus
from streamkit.overlays.web import MAX_STREAMS, create_overlay_app
from tests.conftest import CHROMIUM, CHROMIUM_ARGS


@dataclass
class OverlayServer:
    url: str
    bus: OverlayBus


@contextmanager
def serve_overlays(token: str | None = None, max_streams: int = MAX_STREAMS) -> Iterator[OverlayServer]:
    """The overlay-only app on 127.0.0.1 at a free port, stopped (streams closed, thread joined) afterwards."""
    bus = OverlayBus()
    app = create_overlay_app(bus=bus, token=token, max_streams=max_streams)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="overlay-server", daemon=True)
    thread.start()
    try:
        yield OverlayServer(f"http://127.0.0.1:{server.server_port}", bus)
    finally:
        bus.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def overlay_server() -> Iterator[OverlayServer]:
    with serve_overlays() as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (which cannot download its own browsers here).

    Module scope: a sync Playwright keeps its event loop running until stopped, and a second one (the site's
    browser tests) or an ``asyncio.run`` (the OBS tests) cannot start while it lives.
    """
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Redis on a unix socket in a temp folder (no TCP port), for the session; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Debian's redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="sk-redis-"))  # short: a unix socket path has at most 107 bytes
    socket_path = folder / "redis.sock"
    argv = [binary, "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"unix://{socket_path}"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    pytest.fail(f"redis-server exited with {process.returncode}")
                threading.Event().wait(0.05)
        else:
            pytest.fail("redis-server did not answer within 10 s")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The private Redis, emptied for this test."""
    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server
