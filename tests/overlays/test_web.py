"""The overlay blueprint through Flask's test client: pages, theme, event stream, and who may publish."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.overlays.bus import OverlayBus, OverlayEvent
from streamkit.overlays.hub import HubChannel
from streamkit.overlays.web import PAGES, create_overlay_app, init_overlays


@pytest.fixture
def bus() -> OverlayBus:
    return OverlayBus()


@pytest.fixture
def client(bus: OverlayBus) -> FlaskClient:
    return create_overlay_app(bus=bus).test_client()


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_csp_strict_and_load_only_local_assets(client: FlaskClient, name: str) -> None:
    response = client.get(f"/overlays/{name}")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert "style=" not in html and "<style" not in html, "inline style"
    assert f'data-events="/overlays/events?overlay={name}"' in html
    for asset in re.findall(r'(?:href|src)="(/overlays/[^"]+)"', html):
        with client.get(asset) as loaded:  # static files stream from disk: close them
            assert loaded.status_code == 200, asset


def test_unknown_page_is_404(client: FlaskClient) -> None:
    assert client.get("/overlays/nope").status_code == 404


def test_theme_css_comes_from_the_style(client: FlaskClient) -> None:
    css = client.get("/overlays/theme.css").get_data(as_text=True)
    assert "--accent: rgba(200, 164, 90, 1.000);" in css
    assert "--lt-name: calc(min(100vw, 100vh) * 0.058);" in css
    assert "--fade-in: 600ms;" in css
    assert "@media (orientation: portrait)" in css and "--safe-y: 12vh" in css


def _first_chunks(client: FlaskClient, url: str, count: int) -> list[str]:
    response = client.get(url, buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = []
    for chunk in response.response:  # type: ignore[union-attr]
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if len(chunks) == count:
            break
    response.close()
    return chunks


def test_event_stream_replays_the_current_state_as_json(client: FlaskClient, bus: OverlayBus) -> None:
    bus.publish(OverlayEvent(overlay="lower-third", action="set", lines=("周海", "1908–1932")))
    bus.publish(OverlayEvent(overlay="title", action="show"))
    retry, event = _first_chunks(client, "/overlays/events?overlay=lower-third", 2)
    assert retry == "retry: 1000\n\n"
    head, data = event.strip().split("\n")
    assert head == "id: 1"
    assert json.loads(data.removeprefix("data: ")) == {
        "id": 1,
        "overlay": "lower-third",
        "action": "set",
        "lines": ["周海", "1908–1932"],
    }
    assert bus.subscriber_count == 0  # the closed stream unsubscribed


def test_post_from_this_machine_publishes(client: FlaskClient, bus: OverlayBus) -> None:
    with bus.subscribe("countdown") as sub:
        response = client.post("/overlays/events", json={"overlay": "countdown", "action": "countdown", "seconds": 60})
        assert response.status_code == 202 and response.get_json() == {"delivered": 1}
        got = sub.get(timeout=1)
        assert got is not None and got.event.seconds == 60


def test_post_from_another_machine_needs_the_token(bus: OverlayBus) -> None:
    open_client = create_overlay_app(bus=bus).test_client()
    remote = {"REMOTE_ADDR": "192.0.2.7"}
    event = {"overlay": "title", "action": "show"}
    assert open_client.post("/overlays/events", json=event, environ_base=remote).status_code == 403

    guarded = create_overlay_app(bus=bus, token="s3cret-token").test_client()
    assert guarded.post("/overlays/events", json=event).status_code == 403  # even locally, once a token is set
    wrong = guarded.post("/overlays/events", json=event, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and "s3cret" not in wrong.get_data(as_text=True)
    right = guarded.post(
        "/overlays/events", json=event, headers={"Authorization": "Bearer s3cret-token"}, environ_base=remote
    )
    assert right.status_code == 202


def test_bad_event_is_one_clear_line(client: FlaskClient, bus: OverlayBus) -> None:
    response = client.post("/overlays/events", json={"overlay": "countdown", "action": "countdown"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad overlay event: a countdown event needs 'seconds'"
    assert client.post("/overlays/events", data="not json", content_type="application/json").status_code == 400


EVENT = json.dumps({"overlay": "lower-third", "action": "set", "lines": ["假消息"]})


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),  # a "simple" request a page of any site may send without preflight
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, 403),
        ({"Content-Type": "text/plain", "Origin": "https://evil.example"}, 403),
        ({"Content-Type": "application/json", "Origin": "null"}, 403),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403),
        ({"Content-Type": "application/json", "Origin": "http://localhost"}, 202),  # the site's own origin
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, 202),
        ({"Content-Type": "application/json; charset=utf-8"}, 202),  # the runner and curl send no Origin
    ],
)
def test_cross_site_writes_are_refused(
    client: FlaskClient, bus: OverlayBus, headers: dict[str, str], status: int
) -> None:
    response = client.post("/overlays/events", data=EVENT, headers=headers)
    assert response.status_code == status
    with bus.subscribe("lower-third") as sub:
        assert [d.event.lines for d in sub.backlog] == ([("假消息",)] if status == 202 else [])


def test_event_streams_are_capped_and_their_slots_come_back(bus: OverlayBus) -> None:
    client = create_overlay_app(bus=bus, max_streams=2).test_client()
    first = client.get("/overlays/events", buffered=False)
    second = client.get("/overlays/events", buffered=False)
    assert (first.status_code, second.status_code) == (200, 200)
    refused = client.get("/overlays/events")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert client.get("/overlays/lower-third").status_code == 200  # pages do not count
    first.close()
    third = client.get("/overlays/events", buffered=False)
    assert third.status_code == 200
    second.close()
    third.close()


def test_main_site_mounts_the_blueprint_and_keeps_its_own_routes() -> None:
    site = Flask("site")

    @site.get("/")
    def home() -> str:
        return "archive"

    bus = init_overlays(site)
    client = site.test_client()
    assert client.get("/").get_data(as_text=True) == "archive"
    assert "Content-Security-Policy" not in client.get("/").headers  # the site's own pages keep their headers
    assert client.get("/overlays/lower-third").status_code == 200
    assert isinstance(bus, OverlayBus)


def test_a_channel_that_cannot_take_the_event_is_a_503_with_one_line() -> None:
    bus = OverlayBus(HubChannel(Path("/nonexistent/hub.sock"), timeout_s=0.5))
    try:
        client = create_overlay_app(bus=bus).test_client()
        response = client.post("/overlays/events", json={"overlay": "title", "action": "show"})
        assert response.status_code == 503
        assert response.get_json()["error"].startswith("the overlay hub at /nonexistent/hub.sock did not take")
    finally:
        bus.close()
