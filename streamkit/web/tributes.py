"""Tributes on martyrs' and event pages (献花, 点烛, 鞠躬): one tap, no account, counted once, stored before the answer.

The form posts without JavaScript (answered with a redirect back to the page); ``tributes.js`` posts the same form
with ``fetch``, asks for JSON and updates the counts in place. Each tap carries an idempotency key: the page renders
one for the form, the script makes a fresh one per tap and sends it again on a retry.

Live counts: the script polls a tiny JSON document per page (``/api/tributes/…``), cached for a few seconds in each
worker and marked public for the same time, so a proxy or CDN in front answers thousands of phones with one request
per page and period; the cost follows the number of pages open, not the number of people looking. While a campaign
that takes the page's cemetery runs, the document and the block carry its tributes so far (``campaign``, else null).

The martyr's page is rendered per visitor and carries a CSRF token. An event's page is a cached page shared by
everyone, so it cannot carry one: its tributes are checked the way browsers allow for that, by the ``Origin`` (or
``Sec-Fetch-Site``) header a browser always sends with a cross-site POST and no page can forge.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, abort, current_app, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext
from limits import RateLimitItem, parse_many
from sqlalchemy import select
from werkzeug.wrappers import Response

from streamkit.archive.models import Event
from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.shelf import CampaignShelf
from streamkit.campaigns.tributes import CampaignTributes, running_tributes
from streamkit.errors import ArchiveError
from streamkit.participation.models import TributeKind
from streamkit.participation.tributes import (
    LiveCounts,
    Outcome,
    TributeAnswer,
    TributeRequest,
    client_key,
    event_counts,
    live_counts,
    martyr_counts,
    offer,
    tribute_day,
)
from streamkit.web.extensions import STORE_KEY, csrf, limiter, store

bp = Blueprint("tributes", __name__)
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
LABELS = {
    TributeKind.FLOWER: lazy_gettext("Offer flowers"),
    TributeKind.CANDLE: lazy_gettext("Light a candle"),
    TributeKind.BOW: lazy_gettext("Bow"),
}
LIVE_S = 2  # live counts are at most this old: per worker, and in any cache in front (Cache-Control)
POLL_S = 5  # how often an open page asks for them
LIMITER_KEY = "streamkit_tribute_limit"
LIVE_KEY = "streamkit_tribute_live"
SHELF_KEY = "streamkit_tribute_campaigns"


class ClientLimit:
    """Fixed-window counts of tributes per client address, kept in this worker's memory.

    Not shared between workers: with N workers a client may get up to N times the rate through. That is the
    price of never waiting for a network round trip on the hottest route; the daily cap per client, martyr and
    day is kept in the database and is exact across workers.
    """

    def __init__(self, rate: str) -> None:
        self.items: list[RateLimitItem] = list(parse_many(rate))
        self.windows: dict[tuple[int, str], tuple[int, int]] = {}
        self.lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Count one tribute for ``client``; False (and nothing counted) when any window is already full."""
        moment = time.time() if now is None else now
        with self.lock:
            if len(self.windows) > 100_000:  # forget windows that have ended rather than grow without bound
                self.windows = {k: v for k, v in self.windows.items() if v[0] == int(moment // self._length(k[0]))}
            slots = []
            for number, item in enumerate(self.items):
                window = int(moment // item.get_expiry())
                started, used = self.windows.get((number, client), (window, 0))
                used = used if started == window else 0
                if used >= item.amount:
                    return False
                slots.append(((number, client), (window, used + 1)))
            self.windows.update(slots)
        return True

    def _length(self, number: int) -> int:
        return self.items[number].get_expiry()


def store_of(app: Flask) -> ArchiveStore:
    """The archive store of ``app``, for code that runs outside a request (the fast path)."""
    found: ArchiveStore = app.extensions[STORE_KEY]
    return found


def init_tributes(app: Flask) -> None:
    app.extensions[LIMITER_KEY] = ClientLimit(app.config["STREAMKIT_TRIBUTE_RATE_LIMIT"])
    app.extensions[LIVE_KEY] = {}
    app.extensions[SHELF_KEY] = CampaignShelf(Path(app.config["STREAMKIT_CAMPAIGNS_DIR"]))


def _campaign_figure(live: LiveCounts | None) -> CampaignTributes | None:
    """The tributes of the campaign running on the page's day that takes its cemetery's, if one does."""
    if live is None:
        return None
    shelf: CampaignShelf = current_app.extensions[SHELF_KEY]
    return running_tributes(store(), shelf.campaigns(), live.day, live.cemetery)


def _campaign_json(figure: CampaignTributes | None) -> dict[str, Any] | None:
    """The campaign's figure as the live counts carry it; None (null) when no campaign runs for the page."""
    if figure is None:
        return None
    return {
        "slug": figure.slug,
        "theme": figure.theme,
        "count": figure.count,
        "first": figure.first.isoformat(),
        "last": figure.last.isoformat(),
    }


def tribute_panel(martyr_id: int) -> dict[str, Any]:
    """What the martyr page's tribute block shows: counts per kind, labels, a fresh key, a thank-you after a tap."""
    live = live_counts(store(), martyr_id=martyr_id)
    counts = live.counts if live is not None else martyr_counts(store(), martyr_id)
    return _panel(
        url_for("tributes.offer_martyr", martyr_id=martyr_id),
        url_for("tributes.live_martyr", martyr_id=martyr_id),
        counts,
        live,
        key=secrets.token_urlsafe(16),
    )


def event_tribute_panel(event_id: int) -> dict[str, Any]:
    """The same block for an event's (cached, shared) page: no key and no CSRF token, the script adds a key."""
    live = live_counts(store(), event_id=event_id)
    counts = live.counts if live is not None else event_counts(store(), event_id)
    return _panel(
        url_for("tributes.offer_event", event_id=event_id),
        url_for("tributes.live_event", event_id=event_id),
        counts,
        live,
        key=None,
    )


def _panel(action: str, live_url: str, counts: Any, live: LiveCounts | None, key: str | None) -> dict[str, Any]:
    offered = request.args.get("offered", "")
    return {
        "action": action,
        "live": live_url,
        "poll_s": POLL_S,
        "counts": {kind.value: n for kind, n in counts.items()},
        "cemetery": live.cemetery if live else "",
        "cemetery_today": live.cemetery_today if live else 0,
        "today": live.today if live else 0,
        "campaign": _campaign_json(_campaign_figure(live)),
        "kinds": [(kind.value, label) for kind, label in LABELS.items()],
        "key": key,
        "offered": offered in TributeKind.__members__.values(),
    }


@limiter.exempt  # the per-client limit of tributes is ClientLimit, kept in memory without a lookup
@bp.post("/martyrs/<id:martyr_id>/tributes")
def offer_martyr(martyr_id: int) -> Response | tuple[dict[str, Any], int]:
    return _offer(martyr_id=martyr_id)


@limiter.exempt
@bp.post("/events/<id:event_id>/tributes")
@csrf.exempt  # a shared cached page carries no token: the browser's Origin header is checked instead
def offer_event(event_id: int) -> Response | tuple[dict[str, Any], int]:
    if not _same_origin():
        abort(400)
    return _offer(event_id=event_id)


def _same_origin() -> bool:
    return same_origin(request.environ)


def same_origin(environ: Mapping[str, Any]) -> bool:
    """Whether the browser says this POST comes from one of the site's own pages (Fetch metadata, else Origin)."""
    site = environ.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return bool(site == "same-origin")
    origin = environ.get("HTTP_ORIGIN")
    return origin is not None and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"


def _offer(*, martyr_id: int | None = None, event_id: int | None = None) -> Response | tuple[dict[str, Any], int]:
    try:
        kind = TributeKind(request.form.get("kind", ""))
    except ValueError:
        abort(400)
    key = request.form.get("key", "")
    if not key and event_id is not None and not _wants_json():
        key = secrets.token_urlsafe(16)  # a shared page's plain form has no key of its own: this post is one tap
    if not KEY.fullmatch(key):
        abort(400)
    address = request.remote_addr or ""
    limiter: ClientLimit = current_app.extensions[LIMITER_KEY]
    if not limiter.allow(address):
        abort(429)
    day = tribute_day()
    tribute = TributeRequest(
        key=key,
        martyr_id=martyr_id,
        event_id=event_id,
        kind=kind,
        client=client_key(str(current_app.config["SECRET_KEY"]), address, day),
        day=day,
    )
    answer: TributeAnswer = offer(store(), tribute, daily_cap=current_app.config["STREAMKIT_TRIBUTE_DAILY_CAP"])
    if answer.outcome is Outcome.NOT_FOUND:
        abort(404)
    status = 429 if answer.outcome is Outcome.CAPPED else 200
    if _wants_json():
        return {"outcome": answer.outcome.value, "counts": {k.value: n for k, n in answer.counts.items()}}, status
    if answer.outcome is Outcome.CAPPED:
        abort(429)
    if event_id is not None:
        slug = _event_slug(event_id)
        page = url_for("public.event_page", slug=slug, offered=kind.value, _anchor="tributes")
    else:
        page = url_for("martyrs.martyr_page", martyr_id=martyr_id, offered=kind.value, _anchor="tributes")
    return redirect(page, 303)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _event_slug(event_id: int) -> str:
    with store().engine.connect() as connection:
        slug = connection.scalar(select(Event.slug).where(Event.id == event_id))
    if slug is None:
        abort(404)
    return str(slug)


@limiter.exempt
@bp.get("/api/tributes/martyrs/<id:martyr_id>")
def live_martyr(martyr_id: int) -> Response:
    return _live("martyr", martyr_id)


@limiter.exempt
@bp.get("/api/tributes/events/<id:event_id>")
def live_event(event_id: int) -> Response:
    return _live("event", event_id)


def _live(what: str, target: int) -> Response:
    """A page's live counts as JSON, computed at most once per ``LIVE_S`` per worker and page."""
    cache: dict[tuple[str, int], tuple[float, LiveCounts | None, CampaignTributes | None]]
    cache = current_app.extensions[LIVE_KEY]
    now = time.monotonic()
    found = cache.get((what, target))
    if found is None or now - found[0] >= LIVE_S:
        if len(cache) > 10_000:
            cache.clear()
        arguments = {"martyr_id": target} if what == "martyr" else {"event_id": target}
        counted = live_counts(store(), **arguments)  # type: ignore[arg-type]
        found = (now, counted, _campaign_figure(counted))
        cache[(what, target)] = found
    live, campaign = found[1], found[2]
    if live is None:
        abort(404)
    response = jsonify(
        counts={kind.value: n for kind, n in live.counts.items()},
        cemetery=live.cemetery,
        cemetery_today=live.cemetery_today,
        today=live.today,
        day=live.day.isoformat(),
        campaign=_campaign_json(campaign),
    )
    response.headers["Cache-Control"] = f"public, max-age={LIVE_S}"
    return response


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
FAST_PATH = re.compile(r"/(martyrs|events)/([1-9][0-9]{0,17})/tributes")
MAX_BODY = 4096


class TributeFastPath:
    """The script's tribute POSTs answered before Flask: the hottest route, kept to what a tribute needs.

    Taken here only when everything is as ``tributes.js`` sends it: JSON asked for, a urlencoded body, a valid
    kind and key, and the browser's same-origin headers, which stand for the CSRF token the way they do on event
    pages. Anything else (a plain form, a missing header, a bad field, an unknown page) goes on to the Flask
    view unchanged, which answers it as it always did; nothing is written before that hand-over.
    """

    def __init__(self, app: WsgiApp, site: Flask, headers: Mapping[str, str]) -> None:
        self.app = app
        self.store = store_of(site)
        self.limit: ClientLimit = site.extensions[LIMITER_KEY]
        self.secret = str(site.config["SECRET_KEY"])
        self.daily_cap: int = site.config["STREAMKIT_TRIBUTE_DAILY_CAP"]
        self.headers = [*headers.items(), ("Content-Type", "application/json"), ("Cache-Control", "no-store")]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        found = FAST_PATH.fullmatch(environ.get("PATH_INFO", "")) if environ["REQUEST_METHOD"] == "POST" else None
        if (
            found is None
            or environ.get("HTTP_ACCEPT") != "application/json"
            or environ.get("CONTENT_TYPE", "").split(";")[0] != "application/x-www-form-urlencoded"
            or not same_origin(environ)
        ):
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.app(environ, start_response)
        if not 0 < length <= MAX_BODY:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again if the request goes on
        fields = dict(parse_qsl(body.decode("latin-1")))
        key, address = fields.get("key", ""), environ.get("REMOTE_ADDR") or ""
        if fields.get("kind") not in KINDS or not KEY.fullmatch(key):
            return self.app(environ, start_response)
        if not self.limit.allow(address):
            return self._answer(start_response, "429 TOO MANY REQUESTS", b'{"error": 429}')
        day = tribute_day()
        target = int(found.group(2))
        tribute = TributeRequest(
            key=key,
            martyr_id=target if found.group(1) == "martyrs" else None,
            event_id=target if found.group(1) == "events" else None,
            kind=TributeKind(fields["kind"]),
            client=client_key(self.secret, address, day),
            day=day,
        )
        try:
            answer = offer(self.store, tribute, daily_cap=self.daily_cap)
        except ArchiveError:
            return self._answer(start_response, "503 SERVICE UNAVAILABLE", b'{"error": 503}', ("Retry-After", "1"))
        if answer.outcome is Outcome.NOT_FOUND:
            return self.app(environ, start_response)  # nothing was written: the view answers its 404 page
        counts = {kind.value: n for kind, n in answer.counts.items()}
        status = "429 TOO MANY REQUESTS" if answer.outcome is Outcome.CAPPED else "200 OK"
        return self._answer(
            start_response, status, json.dumps({"outcome": answer.outcome.value, "counts": counts}).encode()
        )

    def _answer(self, start_response: StartResponse, status: str, body: bytes, *extra: tuple[str, str]) -> list[bytes]:
        # with its length given, gunicorn sends the body as it is: no chunk framing and no closing chunk to send
        start_response(status, [*self.headers, *extra, ("Content-Length", str(len(body)))])
        return [body]


KINDS = frozenset(kind.value for kind in TributeKind)
