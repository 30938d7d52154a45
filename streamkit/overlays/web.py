"""Browser-source pages for OBS: ``/overlays/<name>``, transparent, driven live by server-sent events.

The main site mounts these with ``init_overlays(app)``; ``create_overlay_app()`` serves them alone
(``streamkit overlay serve``, tests). Pages carry no inline script or style, so a strict Content-Security-Policy
holds; the look comes from ``/overlays/theme.css``, generated from the same YAML style the Pillow renderer uses.

An open event stream costs a greenlet under the production server (gevent workers), not a thread; the number a
process holds is still capped, so that connections and file descriptors stay for the pages.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request

from streamkit.overlays.bus import (
    OverlayBus,
    OverlayChannelError,
    OverlayEventError,
    SubscriptionClosed,
    parse_event,
)
from streamkit.overlays.channel import open_channel
from streamkit.overlays.style import OverlayStyle, Rgba, load_style

EXTENSION = "streamkit.overlays"
PAGES = ("lower-third", "title", "standby", "countdown")
KEEPALIVE_S = 15.0
MAX_STREAMS = 1000  # per process; the production server keeps connections beyond these for the pages
RETRY_AFTER_S = 5
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

blueprint = Blueprint(
    "overlays",
    __name__,
    url_prefix="/overlays",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


class StreamSlots:
    """A count of the event streams one process holds, refused beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self.taken = 0

    def take(self) -> bool:
        with self._lock:
            if self.taken >= self.limit:
                return False
            self.taken += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.taken -= 1


@dataclass(frozen=True)
class OverlayService:
    """What the blueprint needs from its app: the bus, the style, the token that may publish (if any), the cap."""

    bus: OverlayBus
    style: OverlayStyle
    token: str | None = field(default=None, repr=False)
    streams: StreamSlots = field(default_factory=lambda: StreamSlots(MAX_STREAMS))


def init_overlays(
    app: Flask,
    *,
    bus: OverlayBus | None = None,
    style: OverlayStyle | None = None,
    token: str | None = None,
    channel: str | None = None,
    max_streams: int = MAX_STREAMS,
) -> OverlayBus:
    """Mount the overlay pages on ``app``; returns the bus the ceremony runner publishes to.

    ``channel`` (the ``overlays.channel`` setting) joins this process's bus to the other processes serving pages.
    """
    service = OverlayService(
        bus or OverlayBus(open_channel(channel)), style or load_style(), token, StreamSlots(max_streams)
    )
    app.extensions[EXTENSION] = service
    app.register_blueprint(blueprint)
    return service.bus


def create_overlay_app(
    *,
    bus: OverlayBus | None = None,
    style: OverlayStyle | str = "memorial",
    token: str | None = None,
    channel: str | None = None,
    max_streams: int = MAX_STREAMS,
) -> Flask:
    """A Flask app with only the overlay pages (for ``streamkit overlay serve`` and tests)."""
    app = Flask(__name__)
    look = style if isinstance(style, OverlayStyle) else load_style(style)
    init_overlays(app, bus=bus, style=look, token=token, channel=channel, max_streams=max_streams)
    return app


def _service() -> OverlayService:
    service: OverlayService = current_app.extensions[EXTENSION]
    return service


@blueprint.after_request
def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@blueprint.get("/")
def index() -> str:
    return render_template("overlays/index.html", pages=PAGES)


@blueprint.get("/<name>")
def page(name: str) -> str:
    if name not in PAGES:
        abort(404)
    return render_template(f"overlays/{name}.html", name=name, style=_service().style)


def _css_colour(rgba: Rgba) -> str:
    r, g, b, a = rgba
    return f"rgba({r}, {g}, {b}, {a / 255:.3f})"


@blueprint.get("/theme.css")
def theme() -> Response:
    """CSS custom properties from the style: sizes as fractions of the shorter side (``min(100vw, 100vh)``)."""
    st = _service().style
    unit = "min(100vw, 100vh)"
    sizes = {
        "lt-name": st.lower_third.name_size,
        "lt-detail": st.lower_third.detail_size,
        "lt-pad": st.lower_third.padding,
        "lt-rule": st.lower_third.rule_width,
        "lt-gap": st.lower_third.line_gap,
        "title-size": st.title_slate.title_size,
        "title-line": st.title_slate.line_size,
        "title-gap": st.title_slate.line_gap,
        "title-rule": st.title_slate.rule.length,
        "title-rule-width": st.title_slate.rule.width,
        "standby-size": st.standby_slate.message_size,
        "cd-title": st.countdown.title_size,
        "cd-digits": st.countdown.digits_size,
        "cd-pad": st.countdown.padding,
    }
    lines = [":root {"]
    for key, colour in st.colours.model_dump().items():
        lines.append(f"  --{key}: {_css_colour(colour)};")
    lines.append(f"  --font-text: {json.dumps(st.fonts.text.family)}, sans-serif;")
    lines.append(f"  --font-names: {json.dumps(st.fonts.names.family)}, sans-serif;")
    lines.append(f"  --weight-names: {700 if st.fonts.names.weight == 'bold' else 400};")
    lines += [f"  --{key}: calc({unit} * {value:g});" for key, value in sizes.items()]
    lines.append(f"  --lt-max-width: {st.lower_third.max_width:g};")
    lines.append(f"  --fade-in: {st.timings.fade_in_ms}ms;")
    lines.append(f"  --fade-out: {st.timings.fade_out_ms}ms;")
    landscape, portrait = st.safe_area.landscape, st.safe_area.portrait
    lines.append(f"  --safe-x: {landscape.x * 100:g}vw;\n  --safe-y: {landscape.y * 100:g}vh;\n}}")
    lines.append(
        "@media (orientation: portrait) { :root { "
        f"--safe-x: {portrait.x * 100:g}vw; --safe-y: {portrait.y * 100:g}vh; --lt-max-width: 1; }} }}"
    )
    return Response("\n".join(lines) + "\n", mimetype="text/css")


@blueprint.get("/events")
def events() -> Response | tuple[Response, int, dict[str, str]]:
    """The event stream: the retained state first, then every new event; a comment line keeps proxies awake."""
    overlay = request.args.get("overlay") or None
    service = _service()
    bus, slots = service.bus, service.streams
    if not slots.take():
        busy = jsonify(error="too many open overlay event streams; try again shortly")
        return busy, 503, {"Retry-After": str(RETRY_AFTER_S)}

    def stream() -> Iterator[str]:
        with bus.subscribe(overlay) as sub:
            yield "retry: 1000\n\n"
            for retained in sub.backlog:
                yield _sse(retained.id, retained.payload())
            while True:
                try:
                    delivery = sub.get(timeout=KEEPALIVE_S)
                except SubscriptionClosed:
                    return
                yield ": keepalive\n\n" if delivery is None else _sse(delivery.id, delivery.payload())

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    response = Response(stream(), mimetype="text/event-stream", headers=headers)
    response.call_on_close(slots.release)  # the server closes the response however the stream ends
    return response


def _sse(event_id: int, payload: dict[str, object]) -> str:
    return f"id: {event_id}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


@blueprint.post("/events")
def publish() -> tuple[Response, int]:
    """Publish one event (JSON body). Allowed with the bearer token, or from this machine when no token is set.

    Never from a web page of another site: a browser on the streaming machine is on loopback too. Such a page
    can send a "simple" cross-site POST (text/plain, no preflight) but cannot hide where it comes from.
    """
    service = _service()
    if _cross_site():
        return jsonify(error="cross-site requests may not publish overlay events"), 403
    if not _may_publish(service.token):
        return jsonify(error="not allowed to publish overlay events"), 403
    if not request.is_json:
        return jsonify(error="overlay events are JSON: send Content-Type: application/json"), 415
    try:
        event = parse_event(request.get_json(silent=True) or {})
        return jsonify(delivered=service.bus.publish(event)), 202
    except OverlayEventError as exc:
        return jsonify(error=str(exc)), 400
    except OverlayChannelError as exc:
        return jsonify(error=str(exc)), 503


def _cross_site() -> bool:
    """True for a request a browser sent on behalf of another origin (the runner and curl send neither header)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and origin != request.host_url.rstrip("/")


def _may_publish(token: str | None) -> bool:
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return request.remote_addr in ("127.0.0.1", "::1")
