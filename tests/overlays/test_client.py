"""OverlayClient publishes over real HTTP to a served overlay app, as a ceremony runner in another process would."""

from __future__ import annotations

import socket

import pytest
from pydantic import SecretStr

from streamkit.overlays.bus import OverlayEvent
from streamkit.overlays.client import OverlayClient, OverlayPublishError
from tests.conftest import run_cli
from tests.overlays.conftest import OverlayServer, serve_overlays

TOKEN = "tok-Zq81-secret"


def test_publish_reaches_a_subscribed_page(overlay_server: OverlayServer) -> None:
    client = OverlayClient(overlay_server.url)
    with overlay_server.bus.subscribe("lower-third") as sub:
        assert client.publish(OverlayEvent.set_text("lower-third", "周海", "1908–1932")) == 1
        got = sub.get(timeout=2)
    assert got is not None and got.event.lines == ("周海", "1908–1932")


def test_token_is_sent_and_never_shown() -> None:
    with serve_overlays(token=TOKEN) as server:
        good = OverlayClient(server.url, token=SecretStr(TOKEN))
        assert good.publish(OverlayEvent.show("title")) == 0  # accepted; no page is open
        assert TOKEN not in repr(good)
        bad = OverlayClient(server.url, token=SecretStr("wrong-" + TOKEN))
        with pytest.raises(OverlayPublishError, match=r"refused the event \(403\)") as caught:
            bad.publish(OverlayEvent.hide("title"))
        assert TOKEN not in str(caught.value)


def test_invalid_event_reason_comes_back() -> None:
    with serve_overlays() as server:
        # build an invalid event past validation, as a newer runner talking to an older site might
        event = OverlayEvent.model_construct(
            overlay="countdown", action="countdown", lines=(), seconds=None, title=None
        )
        with pytest.raises(OverlayPublishError, match="needs 'seconds'"):
            OverlayClient(server.url).publish(event)


def test_unreachable_server_is_one_clear_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OverlayPublishError, match="cannot reach the overlay server"):
        OverlayClient(f"http://127.0.0.1:{port}", timeout_s=1).publish(OverlayEvent.show("title"))


def test_send_command_drives_a_running_server(overlay_server: OverlayServer) -> None:
    with overlay_server.bus.subscribe("lower-third") as sub:
        done = run_cli(
            ["overlay", "send", "lower-third", "set", "-t", "周海", "-t", "1908–1932", "--url", overlay_server.url]
        )
        assert done.returncode == 0, done.stderr
        assert "delivered to 1 page(s)" in done.stdout
        got = sub.get(timeout=2)
    assert got is not None and got.event.lines == ("周海", "1908–1932")
    bad = run_cli(["overlay", "send", "countdown", "countdown", "--url", overlay_server.url])
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("error: bad overlay event: ") and "needs 'seconds'" in bad.stderr
