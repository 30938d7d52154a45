"""The moderation queue in the admin: pending messages with the pre-filter's matches highlighted; approve, or
reject with a reason. Every decision is in the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required
from werkzeug.wrappers import Response

from streamkit.errors import ArchiveError
from streamkit.participation.messages import REJECT_REASONS, decide_message, pending_messages
from streamkit.web.admin import actor, admin_globals
from streamkit.web.extensions import store
from streamkit.web.forms import ConfirmForm

bp = Blueprint("moderation", __name__)
bp.context_processor(admin_globals)


@bp.get("/")
@login_required
def queue() -> str:
    return render_template(
        "admin/messages.html", messages=pending_messages(store()), reasons=REJECT_REASONS, form=ConfirmForm()
    )


@bp.post("/<id:message_id>/<any(approve, reject):decision>")
@login_required
def decide(message_id: int, decision: str) -> Response:
    try:
        decide_message(
            store(), message_id, approve=decision == "approve", reason=request.form.get("reason", ""), actor=actor()
        )
    except ArchiveError as exc:
        flash(str(exc))
    else:
        flash(gettext("Message approved.") if decision == "approve" else gettext("Message rejected."))
    return redirect(url_for("moderation.queue"), 303)
