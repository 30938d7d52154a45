"""Staff admin: sign in, create/edit/cancel events, add/edit/publish archive entries, read the audit log.

Every view names the role it needs (``access.require_role``), every form is CSRF-checked (app-wide CSRFProtect),
and every change is written to the audit log in the same transaction as the change itself. Events and entries
belong to the district whose cemetery is their venue: a district's media editors see and change only those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from streamkit.archive.events import EventDraft, create_event, update_event
from streamkit.archive.models import ArchiveEntry, Event, EventStatus, Role
from streamkit.archive.store import ArchiveQuery, ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.web.access import StaffUser, check_cemetery, holds, may_see, require_role, staff
from streamkit.web.accounts import authenticate, session_user
from streamkit.web.extensions import limiter, login_manager, login_rate_limit, store
from streamkit.web.forms import ConfirmForm, EntryForm, EventForm, LoginForm

bp = Blueprint("admin", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    user_id, _, sign_in = session_id.partition(":")
    if not (user_id.isdigit() and sign_in.isdigit()):
        return None
    account = session_user(store(), int(user_id), int(sign_in))
    return StaffUser(account, int(sign_in)) if account else None


@bp.context_processor
def admin_globals() -> dict[str, Any]:
    # formdata=None: the sign-out button needs only a token, and must not parse a request body (which may be the
    # oversized one an error page is being rendered for).
    signed_in = current_user.is_authenticated
    return {
        "logout_form": ConfirmForm(formdata=None) if signed_in else None,
        "may": (lambda *roles: holds(staff(), roles)) if signed_in else (lambda *roles: False),
        "bureau_admin": signed_in and holds(staff(), (Role.ADMINISTRATOR,), bureau=True),
        "Role": Role,
    }


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
            account = session_user(store(), user.id, record.id)
            assert account is not None  # just authenticated, in this request
            login_user(StaffUser(account, record.id))
            return redirect(url_for("admin.dashboard"))
        with store().transaction() as session:
            ArchiveStore.audit(session, (form.username.data or "")[:80], "login.failed")
        form.password.errors = [gettext("Wrong user name or password")]
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@require_role()
def logout() -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with store().transaction() as session:
        ArchiveStore.audit(session, actor(), "logout")
    logout_user()
    return redirect(url_for("public.home"))


@bp.get("/")
@require_role()
def dashboard() -> str:
    archive = store()
    events: list[Event] = []
    entries: list[ArchiveEntry] = []
    if holds(staff(), (Role.MEDIA_EDITOR,)):
        events = [e for e in archive.all_events(100) if may_see(e.venue)]
        listed = archive.list_entries(ArchiveQuery(), per_page=50, published_only=False).items
        entries = [e for e in listed if may_see(e.venue)]
    return render_template("admin/dashboard.html", events=events, entries=entries, form=ConfirmForm())


def _check_venue(venue: str) -> None:
    """A district's editor may place an event or entry only at one of the district's cemeteries."""
    if not may_see(venue.strip()):
        raise ArchiveError(gettext("The venue must be one of your district's cemeteries"))


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
@require_role(Role.MEDIA_EDITOR)
def new_event() -> str | Response | tuple[str, int]:
    form = EventForm()

    def save() -> str:
        _check_venue(form.venue.data or "")
        event = create_event(store(), _draft(form), actor=actor())
        return url_for("public.event_page", slug=event.slug)

    return _form_page(form, "admin/event_form.html", save, gettext("Event saved"), event=None)


@bp.route("/events/<id:event_id>/edit", methods=["GET", "POST"])
@require_role(Role.MEDIA_EDITOR)
def edit_event(event_id: int) -> str | Response | tuple[str, int]:
    archive = store()
    with archive.session() as session:
        event = session.get(Event, event_id)
    check_cemetery(event.venue if event else None)
    assert event is not None
    form = EventForm(obj=event) if request.method == "GET" else EventForm()
    if request.method == "GET":
        form.start.data = event.start_local.replace(tzinfo=None)
        form.end.data = event.end_local.replace(tzinfo=None)

    def save() -> str:
        _check_venue(form.venue.data or "")
        with archive.transaction() as session:
            found = session.get(Event, event_id)
            assert found is not None
            update_event(session, found, _draft(form), actor=actor())
        return url_for("admin.dashboard")

    return _form_page(form, "admin/event_form.html", save, gettext("Event saved"), event=event)


@bp.post("/events/<id:event_id>/cancel")
@require_role(Role.MEDIA_EDITOR)
def cancel_event(event_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with store().transaction() as session:
        event = session.get(Event, event_id)
        check_cemetery(event.venue if event else None)
        assert event is not None
        event.status = EventStatus.CANCELLED.value
        ArchiveStore.audit(session, actor(), "event.cancel", f"event:{event.slug}", event.title)
    flash(gettext("Event cancelled"))
    return redirect(url_for("admin.dashboard"))


def _apply_entry(session: Any, entry: ArchiveEntry, form: EntryForm) -> None:
    event = None
    slug = (form.event_slug.data or "").strip()
    if slug:
        event = session.scalar(select(Event).where(Event.slug == slug))
        if event is None or not may_see(event.venue):  # another district's event: as if there were none
            raise ArchiveError(gettext("No event with that slug"))
    _check_venue(form.venue.data or "")
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
@require_role(Role.MEDIA_EDITOR)
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
@require_role(Role.MEDIA_EDITOR)
def edit_entry(entry_id: int) -> str | Response | tuple[str, int]:
    entry = store().entry(entry_id, include_unpublished=True)
    check_cemetery(entry.venue if entry else None)
    assert entry is not None
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
@require_role(Role.MEDIA_EDITOR)
def publish_entry(entry_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with store().transaction() as session:
        entry = session.get(ArchiveEntry, entry_id)
        check_cemetery(entry.venue if entry else None)
        assert entry is not None
        entry.published = action == "publish"
        ArchiveStore.audit(session, actor(), f"entry.{action}", f"archive:{entry_id}", entry.title)
    flash(gettext("Archive entry saved"))
    return redirect(url_for("admin.dashboard"))


@bp.get("/audit")
@require_role(Role.ADMINISTRATOR, bureau=True)  # records carry no district: only the bureau reads them all
def audit() -> str:
    return render_template("admin/audit.html", records=store().audit_log())
