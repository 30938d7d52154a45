"""The browser-source pages in a real Chromium: they follow server-sent events within a second.

The pages run under a strict Content-Security-Policy (no eval), so checks use Playwright's locator assertions,
which need no string evaluation inside the page.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from io import BytesIO
from typing import Any

import pytest
from PIL import Image

from streamkit.overlays.bus import OverlayEvent
from tests.overlays.conftest import OverlayServer, serve_overlays

pytestmark = pytest.mark.browser

WITHIN_MS = 1000  # the requirement: a page updates within a second of an event
VISIBLE = re.compile(r"\bis-visible\b")


@pytest.fixture
def expect() -> Any:
    return pytest.importorskip("playwright.sync_api").expect


def _open(chromium: Any, expect: Any, server: OverlayServer, name: str) -> tuple[Any, list[str]]:
    page = chromium.new_page(viewport={"width": 960, "height": 540})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/overlays/{name}")
    expect(page.locator("body")).to_have_attribute("data-connected", "true", timeout=5000)
    return page, errors


def test_lower_third_page_follows_events_within_a_second(
    chromium: Any, expect: Any, overlay_server: OverlayServer
) -> None:
    page, errors = _open(chromium, expect, overlay_server, "lower-third")
    graphic = page.locator("[data-graphic]")
    expect(graphic).to_have_css("opacity", "0")

    overlay_server.bus.publish(
        OverlayEvent(overlay="lower-third", action="set", lines=("李青云", "1922–1949 河南林州"))
    )
    overlay_server.bus.publish(OverlayEvent(overlay="lower-third", action="show"))
    expect(page.locator(".lt-name")).to_have_text("李青云", timeout=WITHIN_MS)
    expect(graphic).to_have_class(VISIBLE, timeout=WITHIN_MS)
    expect(page.locator(".lt-detail").first).to_have_text("1922–1949 河南林州")

    # an event for another overlay does not reach this page; a hide does
    overlay_server.bus.publish(OverlayEvent(overlay="title", action="set", lines=("别的",)))
    overlay_server.bus.publish(OverlayEvent(overlay="lower-third", action="hide"))
    expect(graphic).not_to_have_class(VISIBLE, timeout=WITHIN_MS)
    expect(page.locator(".lt-name")).to_have_text("李青云")
    assert errors == []  # no CSP violation, no script error
    page.close()


def test_page_background_is_transparent_outside_the_graphic(
    chromium: Any, expect: Any, overlay_server: OverlayServer
) -> None:
    page, _ = _open(chromium, expect, overlay_server, "lower-third")
    overlay_server.bus.publish(OverlayEvent(overlay="lower-third", action="set", lines=("周海",)))
    overlay_server.bus.publish(OverlayEvent(overlay="lower-third", action="show"))
    graphic = page.locator("[data-graphic]")
    expect(graphic).to_have_css("opacity", "1", timeout=5000)  # after the fade-in
    shot = Image.open(BytesIO(page.screenshot(omit_background=True))).convert("RGBA")
    box = graphic.bounding_box()
    alpha = shot.getchannel("A")
    for corner in ((3, 3), (shot.width - 3, 3), (shot.width - 3, shot.height - 3)):
        assert alpha.getpixel(corner) == 0
    assert alpha.getpixel((int(box["x"] + box["width"] - 3), int(box["y"] + 3))) > 150  # the panel is drawn
    page.close()


def test_countdown_page_counts_down_from_the_event(chromium: Any, expect: Any, overlay_server: OverlayServer) -> None:
    page, errors = _open(chromium, expect, overlay_server, "countdown")
    overlay_server.bus.publish(OverlayEvent(overlay="countdown", action="countdown", seconds=60, title="默哀"))
    digits = page.locator("[data-digits]")
    expect(digits).to_have_text("1:00", timeout=WITHIN_MS)
    expect(digits).to_have_text("0:59", timeout=2500)
    expect(page.locator(".cd-title")).to_have_text("默哀")
    expect(page.locator("[data-graphic]")).to_have_class(VISIBLE)
    assert errors == []
    page.close()


def test_reloaded_page_shows_the_current_state_at_once(
    chromium: Any, expect: Any, overlay_server: OverlayServer
) -> None:
    """An OBS browser source that reloads mid-ceremony shows the current text (the bus replays it)."""
    overlay_server.bus.publish(OverlayEvent(overlay="title", action="set", lines=("清明祭英烈", "2020年")))
    overlay_server.bus.publish(OverlayEvent(overlay="title", action="show"))
    page, _ = _open(chromium, expect, overlay_server, "title")
    expect(page.locator(".title-main")).to_have_text("清明祭英烈", timeout=WITHIN_MS)
    expect(page.locator("[data-graphic]")).to_have_class(VISIBLE, timeout=WITHIN_MS)
    page.close()


def test_a_page_refused_by_a_full_server_connects_when_a_stream_frees(chromium: Any, expect: Any) -> None:
    with serve_overlays(max_streams=1) as server:
        holder = urllib.request.urlopen(f"{server.url}/overlays/events", timeout=5)  # takes the only stream
        assert holder.readline() == b"retry: 1000\n"
        page = chromium.new_page(viewport={"width": 960, "height": 540})
        page.goto(f"{server.url}/overlays/lower-third")
        server.bus.publish(OverlayEvent(overlay="lower-third", action="set", lines=("李青云",)))
        expect(page.locator("body")).to_have_attribute("data-connected", "false", timeout=5000)  # 503
        holder.close()
        for _ in range(100):  # the server notices a closed stream when it next writes to it
            if server.bus.subscriber_count == 0:
                break
            server.bus.publish(OverlayEvent(overlay="title", action="show"))
            threading.Event().wait(0.05)
        # the page tries again after the server's Retry-After and replays the retained state
        expect(page.locator(".lt-name")).to_have_text("李青云", timeout=15000)
        expect(page.locator("body")).to_have_attribute("data-connected", "true")
        page.close()
