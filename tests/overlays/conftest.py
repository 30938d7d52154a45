"""Fixtures for overlay tests: the pages served in a thread and Debian's Chromium through Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server

from streamkit.overlays.bus import OverlayBus
from streamkit.overlays.web import MAX_STREAMS, create_overlay_app
from tests.web.live_site import chromium as launch_chromium


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
    with launch_chromium() as browser:
        yield browser
