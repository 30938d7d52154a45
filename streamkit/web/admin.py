"""Staff admin: sign in, create/edit/cancel events, add/edit/publish archive entries, read the audit log.

Every view requires a signed-in staff user, every form is CSRF-checked (app-wide CSRFProtect), and every change
is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from streamkit.archive.events import EventDraft, create_event, update_event
from streamkit.archive.models import ArchiveEntry, Event, EventStatus
from streamkit.archive.store import ArchiveQuery, ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.web.accounts import authenticate, session_user
from streamkit.web.extensions import limiter, login_manager, login_rate_limit, store
from streamkit.web.forms import ConfirmForm, EntryForm, EventForm, LoginForm

bp = Blueprint("admin", __name__)


class StaffUser(UserMixin):
    """A signed-in staff user; ``sign_in`` is the audit record of the sign-in the cookie was issued at."""

    def __init__(self, user_id: int, username: str, sign_in: int) -> None:
        self.id = user_id
        self.username = username
        self.sign_in = sign_in

    def get_id(self) -> str:
        return f"{self.id}:{self.sign_in}"


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    user_id, _, sign_in = session_id.partition(":")
    if not (user_id.isdigit() and sign_in.isdigit()):
        return None
    user = session_user(store(), int(user_id), int(sign_in))
    return StaffUser(user.id, user.username, int(sign_in)) if user else None


@bp.context_processor
def admin_globals() -> dict[str, Any]:
    # formdata=None: the sign-out button needs only a token, and must not parse a request body (which may be the
    # oversized one an error page is being rendered for).
    return {"logout_form": ConfirmForm(formdata=None) if current_user.is_authenticated else None}


def actor() -> str:
    return str(current_user.username)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(store(), form.username.data or "", form.password.data or "")
        if user is not None:
            with store().transaction() as session:
                record = ArchiveStore.audit(session, user.username, "login")
                session.flush()
            cookie_session.permanent = True  # the session ends after PERMANENT_SESSION_LIFETIME (8 h), not never
            login_user(StaffUser(user.id, user.username, record.id))
            return redirect(url_for("admin.dashboard"))
        with store().transaction() as session:
            ArchiveStore.audit(session, (form.username.data or "")[:80], "login.failed")
        form.password.errors = [gettext("Wrong user name or password")]
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout() -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with store().transaction() as session:
        ArchiveStore.audit(session, actor(), "logout")
    logout_user()
    return redirect(url_for("public.home"))


@bp.get("/")
@login_required
def dashboard() -> str:
    archive = store()
    entries = archive.list_entries(ArchiveQuery(), per_page=50, published_only=False).items
    return render_template("admin/dashboard.html", events=archive.all_events(100), entries=entries, form=ConfirmForm())


def _draft(form: EventForm) -> EventDraft:
    assert form.start.data is not None and form.end.data is not None
    return EventDraft(
        title=form.title.data or "",
        start_local=form.start.data,
        end_local=form.end.data,
        timezone=form.timezone.data or "Asia/Shanghai",
        description=form.description.data or "",
        venue=form.venue.data or "",
        campaign=form.campaign.data or "",
        stream_url=form.stream_url.data or "",
        status=form.status.data or EventStatus.UPCOMING.value,
    )


def _form_page(
    form: Any, template: str, save: Callable[[], str], message: str, **context: Any
) -> str | Response | tuple[str, int]:
    """Validate and save a posted form; on any problem show the form again with the messages (HTTP 400).

    ``save`` runs the change in one transaction and returns where to go next; an ArchiveError from it means
    nothing was written.
    """
    if form.validate_on_submit():
        try:
            target = save()
        except ArchiveError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(message)
            return redirect(target)
    return render_template(template, form=form, **context), 400 if request.method == "POST" else 200


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event() -> str | Response | tuple[str, int]:
    form = EventForm()

    def save() -> str:
        event = create_event(store(), _draft(form), actor=actor())
        return url_for("public.event_page", slug=event.slug)

    return _form_page(form, "admin/event_form.html", save, gettext("Event saved"), event=None)


@bp.route("/events/<id:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int) -> str | Response | tuple[str, int]:
    archive = store()
    with archive.session() as session:
        event = session.get(Event, event_id)
    if event is None:
        abort(404)
    form = EventForm(obj=event) if request.method == "GET" else EventForm()
    if request.method == "GET":
        form.start.data = event.start_local.replace(tzinfo=None)
        form.end.data = event.end_local.replace(tzinfo=None)

    def save() -> str:
        with archive.transaction() as session:
            found = session.get(Event, event_id)
            assert found is not None
            update_event(session, found, _draft(form), actor=actor())
        return url_for("admin.dashboard")

    return _form_page(form, "admin/event_form.html", save, gettext("Event saved"), event=event)


@bp.post("/events/<id:event_id>/cancel")
@login_required
def cancel_event(event_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with store().transaction() as session:
        event = session.get(Event, event_id)
        if event is None:
            abort(404)
        event.status = EventStatus.CANCELLED.value
        ArchiveStore.audit(session, actor(), "event.cancel", f"event:{event.slug}", event.title)
    flash(gettext("Event cancelled"))
    return redirect(url_for("admin.dashboard"))


def _apply_entry(session: Any, entry: ArchiveEntry, form: EntryForm) -> None:
    event = None
    slug = (form.event_slug.data or "").strip()
    if slug:
        event = session.scalar(select(Event).where(Event.slug == slug))
        if event is None:
            raise ArchiveError(gettext("No event with that slug"))
    if not (entry.media_file or form.media_url.data or form.hls_url.data):
        raise ArchiveError(gettext("Give a media URL or an HLS URL"))
    entry.title = (form.title.data or "").strip()
    entry.description = form.description.data or ""
    entry.kind = form.kind.data or "recording"
    entry.media_url = form.media_url.data or ""
    entry.hls_url = form.hls_url.data or ""
    entry.duration_ms = (form.duration_s.data or 0) * 1000
    entry.campaign = (form.campaign.data or "").strip()
    entry.venue = (form.venue.data or "").strip()
    entry.published = bool(form.published.data)
    entry.tags = ArchiveStore.tags_for(session, (form.tags.data or "").split(","))
    entry.event = event


@bp.route("/entries/new", methods=["GET", "POST"])
@login_required
def new_entry() -> str | Response | tuple[str, int]:
    form = EntryForm()

    def save() -> str:
        with store().transaction() as session:
            entry = ArchiveEntry(media_sha256=None)
            _apply_entry(session, entry, form)
            session.add(entry)
            session.flush()
            ArchiveStore.audit(session, actor(), "entry.create", f"archive:{entry.id}", entry.title)
        return url_for("admin.dashboard")

    return _form_page(form, "admin/entry_form.html", save, gettext("Archive entry saved"), entry=None)


@bp.route("/entries/<id:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int) -> str | Response | tuple[str, int]:
    entry = store().entry(entry_id, include_unpublished=True)
    if entry is None:
        abort(404)
    form = EntryForm(obj=entry) if request.method == "GET" else EntryForm()
    if request.method == "GET":
        form.duration_s.data = entry.duration_ms // 1000
        form.tags.data = ", ".join(entry.tag_names)
        form.event_slug.data = entry.event.slug if entry.event else ""

    def save() -> str:
        with store().transaction() as session:
            found = session.get(ArchiveEntry, entry_id)
            assert found is not None
            _apply_entry(session, found, form)
            ArchiveStore.audit(session, actor(), "entry.update", f"archive:{entry_id}", found.title)
        return url_for("admin.dashboard")

    return _form_page(form, "admin/entry_form.html", save, gettext("Archive entry saved"), entry=entry)


@bp.post("/entries/<id:entry_id>/<any(publish, unpublish):action>")
@login_required
def publish_entry(entry_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with store().transaction() as session:
        entry = session.get(ArchiveEntry, entry_id)
        if entry is None:
            abort(404)
        entry.published = action == "publish"
        ArchiveStore.audit(session, actor(), f"entry.{action}", f"archive:{entry_id}", entry.title)
    flash(gettext("Archive entry saved"))
    return redirect(url_for("admin.dashboard"))


@bp.get("/audit")
@login_required
def audit() -> str:
    return render_template("admin/audit.html", records=store().audit_log())
