"""The site also serves the overlay pages OBS loads as browser sources, driven by the ceremony runner."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from streamkit.overlays.web import EXTENSION


def test_overlay_page_served_by_the_site_with_its_own_csp(client: FlaskClient) -> None:
    page = client.get("/overlays/lower-third")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert b"<script>" not in page.data  # no inline script: the page's JS is a static file


def test_runner_event_reaches_subscribers_without_a_csrf_token(app: Flask, client: FlaskClient) -> None:
    event = {"overlay": "lower-third", "action": "set", "lines": ["周海", "1908—1932"]}
    posted = client.post("/overlays/events", data=json.dumps(event), content_type="application/json")
    assert posted.status_code == 202  # CSRF protects staff forms, not the runner's event endpoint
    stream = client.get("/overlays/events?overlay=lower-third", buffered=False)
    assert stream.mimetype == "text/event-stream"
    first_events = ""
    for _, chunk in zip(range(5), stream.response, strict=False):  # the stream never ends: read a few chunks
        first_events += chunk.decode() if isinstance(chunk, bytes) else chunk
        if "周海" in first_events:
            break
    stream.close()
    assert "周海" in first_events  # the retained state is replayed to a page that connects later
    assert '"action": "set"' in first_events
    assert app.extensions[EXTENSION].bus is not None


def test_other_machines_may_not_publish(client: FlaskClient) -> None:
    event = {"overlay": "lower-third", "action": "show"}
    refused = client.post(
        "/overlays/events",
        data=json.dumps(event),
        content_type="application/json",
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert refused.status_code == 403
