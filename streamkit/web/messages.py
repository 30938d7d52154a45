"""Messages of remembrance on a martyr's page: the form, the kind "received" page, the approved messages.

Whatever the pre-filter found, the author sees the same page: received, shown after review. Only approved
messages appear on the martyr's page, escaped like every user text.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from streamkit.participation.messages import approved_messages, submit_message
from streamkit.participation.prefilter import default_prefilter
from streamkit.register.search import find_martyr
from streamkit.web.extensions import limiter, store
from streamkit.web.forms import MULTILINE, ONE_LINE

bp = Blueprint("messages", __name__)


def message_rate_limit() -> str:
    """Messages allowed per client address (web.message_rate_limit), read per request from the running app."""
    limit: str = current_app.config["STREAMKIT_MESSAGE_RATE_LIMIT"]
    return limit


class MessageForm(FlaskForm):
    author = StringField(_l("Your name (shown with the message, optional)"), [Length(max=40), ONE_LINE])
    body = TextAreaField(
        _l("Message"),
        [
            DataRequired(_l("Please write a message")),
            Length(min=2, max=500, message=_l("2 to 500 characters")),
            MULTILINE,
        ],
    )


def message_panel(martyr_id: int, form: MessageForm | None = None) -> dict[str, Any]:
    """The approved messages and the form, for the martyr's page."""
    return {
        "action": url_for("messages.write", martyr_id=martyr_id),
        "approved": approved_messages(store(), martyr_id),
        "form": form or MessageForm(formdata=None),
    }


@bp.post("/martyrs/<id:martyr_id>/messages")
@limiter.limit(message_rate_limit)
def write(martyr_id: int) -> Response | tuple[str, int]:
    martyr = find_martyr(store(), martyr_id)
    if martyr is None or martyr.hidden:
        abort(404)
    form = MessageForm()
    if not form.validate():
        page = render_template("message_form.html", name=martyr.name, messages=message_panel(martyr_id, form))
        return page, 400
    author, body = (form.author.data or "").strip(), (form.body.data or "").strip()
    if submit_message(store(), martyr_id, author, body, default_prefilter()) is None:
        abort(404)
    return redirect(url_for("messages.received", martyr_id=martyr_id), 303)


@bp.get("/martyrs/<id:martyr_id>/messages/received")
def received(martyr_id: int) -> str:
    martyr = find_martyr(store(), martyr_id)
    if martyr is None or martyr.hidden:
        abort(404)
    return render_template("message_received.html", martyr_id=martyr_id, name=martyr.name)
