"""The moderation queue in the admin: pending messages with the pre-filter's matches highlighted; approve, or
reject with a reason. Every decision is in the audit log. A district's moderators see and decide only messages
about martyrs of their district's cemeteries."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from streamkit.archive.models import Role
from streamkit.errors import ArchiveError
from streamkit.participation.messages import REJECT_REASONS, decide_message, message_cemetery, pending_messages
from streamkit.web.access import check_cemetery, require_role, visible_cemeteries
from streamkit.web.admin import actor, admin_globals
from streamkit.web.extensions import store
from streamkit.web.forms import ConfirmForm

bp = Blueprint("moderation", __name__)
bp.context_processor(admin_globals)


@bp.get("/")
@require_role(Role.MODERATOR)
def queue() -> str:
    pending = pending_messages(store(), cemeteries=visible_cemeteries())
    return render_template("admin/messages.html", messages=pending, reasons=REJECT_REASONS, form=ConfirmForm())


@bp.post("/<id:message_id>/<any(approve, reject):decision>")
@require_role(Role.MODERATOR)
def decide(message_id: int, decision: str) -> Response:
    check_cemetery(message_cemetery(store(), message_id))
    try:
        decide_message(
            store(), message_id, approve=decision == "approve", reason=request.form.get("reason", ""), actor=actor()
        )
    except ArchiveError as exc:
        flash(str(exc))
    else:
        flash(gettext("Message approved.") if decision == "approve" else gettext("Message rejected."))
    return redirect(url_for("moderation.queue"), 303)
