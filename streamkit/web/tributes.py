"""Tributes on a martyr's page (献花, 点烛, 鞠躬): one tap, no account, counted once, stored before the answer.

The form posts without JavaScript (answered with a redirect back to the page); ``tributes.js`` posts the same form
with ``fetch``, asks for JSON and updates the counts in place. Each tap carries an idempotency key: the page renders
one for the form, the script makes a fresh one per tap and sends it again on a retry.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from streamkit.participation.models import TributeKind
from streamkit.participation.tributes import (
    Outcome,
    TributeRequest,
    client_key,
    martyr_counts,
    offer_tribute,
    tribute_day,
)
from streamkit.web.extensions import limiter, store

bp = Blueprint("tributes", __name__)
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
LABELS = {
    TributeKind.FLOWER: lazy_gettext("Offer flowers"),
    TributeKind.CANDLE: lazy_gettext("Light a candle"),
    TributeKind.BOW: lazy_gettext("Bow"),
}


def tribute_rate_limit() -> str:
    """Tributes allowed per client address (web.tribute_rate_limit), read per request from the running app."""
    limit: str = current_app.config["STREAMKIT_TRIBUTE_RATE_LIMIT"]
    return limit


def tribute_panel(martyr_id: int) -> dict[str, Any]:
    """What the martyr page's tribute block shows: counts per kind, labels, a fresh key, a thank-you after a tap."""
    offered = request.args.get("offered", "")
    return {
        "action": url_for("tributes.offer", martyr_id=martyr_id),
        "counts": {kind.value: n for kind, n in martyr_counts(store(), martyr_id).items()},
        "kinds": [(kind.value, label) for kind, label in LABELS.items()],
        "key": secrets.token_urlsafe(16),
        "offered": offered in TributeKind.__members__.values(),
    }


@bp.post("/martyrs/<id:martyr_id>/tributes")
@limiter.limit(tribute_rate_limit)
def offer(martyr_id: int) -> Response | tuple[dict[str, Any], int]:
    try:
        kind = TributeKind(request.form.get("kind", ""))
    except ValueError:
        abort(400)
    key = request.form.get("key", "")
    if not KEY.fullmatch(key):
        abort(400)
    day = tribute_day()
    tribute = TributeRequest(
        key=key,
        martyr_id=martyr_id,
        kind=kind,
        client=client_key(str(current_app.config["SECRET_KEY"]), request.remote_addr or "", day),
        day=day,
    )
    outcome = offer_tribute(store(), tribute, daily_cap=current_app.config["STREAMKIT_TRIBUTE_DAILY_CAP"])
    if outcome is Outcome.NOT_FOUND:
        abort(404)
    status = 429 if outcome is Outcome.CAPPED else 200
    if request.accept_mimetypes.best == "application/json":
        counts = martyr_counts(store(), martyr_id)
        return {"outcome": outcome.value, "counts": {k.value: n for k, n in counts.items()}}, status
    if outcome is Outcome.CAPPED:
        abort(429)
    page = url_for("martyrs.martyr_page", martyr_id=martyr_id, offered=kind.value, _anchor="tributes")
    return redirect(page, 303)
