"""Public pages: home, schedule, one stable page per event, archive, and the player page of each entry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wrappers import Response

from streamkit.archive.models import ArchiveEntry, EntryKind, EventStatus
from streamkit.archive.store import ArchiveQuery, EntryCard
from streamkit.archive.urls import site_path
from streamkit.live.relay import FRAGMENT_CACHE, PLAYLIST_CACHE
from streamkit.web.byte_ranges import effective_range
from streamkit.web.chapters import read_chapters
from streamkit.web.extensions import LANG_COOKIE, LOCALES, store
from streamkit.web.page_cache import cached_page, request_revision
from streamkit.web.structured import broadcast_event, video_object
from streamkit.web.tributes import event_tribute_panel

bp = Blueprint("public", __name__)
# Archive listings and player pages do not depend on the clock, only on the data (the revision).
STABLE_PAGE_S = 3600
ARCHIVE_FILTERS = ("kind", "campaign", "venue", "tag", "year", "q")
STATUS_MAX_AGE_S = 1
LIVE_FILE = re.compile(r"[A-Za-z0-9_-]{1,64}\.(m3u8|ts)")  # the relay's names only: no paths, no dotfiles


def media_url(relative: str, *, external: bool = False) -> str:
    return url_for("public.media", name=relative, _external=external) if relative else ""


def entry_source(entry: ArchiveEntry, *, external: bool = False) -> str:
    """Where the player loads the entry from: our media folder, or the outside URL it was added with."""
    return media_url(entry.media_file, external=external) if entry.media_file else entry.media_url


@bp.app_template_global()
def media_src(entry: ArchiveEntry) -> str:
    return entry_source(entry)


@bp.app_template_global()
def entry_href(entry_id: int) -> str:
    """An entry page's path: url_for once per request, the same prefix after (a listing links twenty)."""
    prefix = g.get("_streamkit_entry_prefix")
    if prefix is None:
        prefix = g._streamkit_entry_prefix = url_for("public.entry_page", entry_id=1)[:-1]
    return f"{prefix}{entry_id}"


@bp.app_template_global()
def poster_src(entry: ArchiveEntry | EntryCard | None) -> str:
    return media_url(entry.poster_file) if entry and entry.poster_file else ""


@bp.app_template_filter()
def duration(ms: int) -> str:
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@bp.get("/")
@cached_page
def home() -> str:
    archive = store()
    upcoming = archive.upcoming_events(limit=6)
    live = [e for e in upcoming if e.status == EventStatus.LIVE.value]
    waiting = [e for e in upcoming if e.status != EventStatus.LIVE.value]
    latest = archive.list_entries(ArchiveQuery(kind=EntryKind.RECORDING.value), per_page=6).items
    tours = archive.list_entries(ArchiveQuery(kind=EntryKind.TOUR.value), per_page=6).items
    return render_template(
        "home.html", live=live, next_event=waiting[0] if waiting else None, latest=latest, tours=tours
    )


@bp.get("/schedule")
@cached_page
def schedule() -> str:
    archive = store()
    upcoming = archive.upcoming_events()
    by_date: dict[str, list[Any]] = {}
    for event in upcoming:
        by_date.setdefault(event.start_local.strftime("%Y-%m-%d"), []).append(event)
    return render_template("schedule.html", by_date=by_date, past=archive.past_events())


@bp.get("/events/<slug>")
@cached_page
def event_page(slug: str) -> str:
    event = store().event_by_slug(slug)
    if event is None:
        abort(404)
    recording = next((r for r in event.recordings if r.published), None)
    page_url = url_for("public.event_page", slug=slug, _external=True)
    recording_data = _video_data(recording) if recording is not None else None
    chapters = read_chapters(_media_path(recording.chapters_file)) if recording and recording.chapters_file else []
    return render_template(
        "event.html",
        event=event,
        recording=recording,
        chapters=chapters,
        page_url=page_url,
        jsonld=broadcast_event(event, url=page_url, recording=recording_data),
        tributes=event_tribute_panel(event.id),
    )


@bp.get("/events/<slug>/status.json")
def event_status(slug: str) -> Response:
    """What the open event page needs to notice a change: its phase, the live stream and the recording shown.

    Pages poll it every few seconds, so it is tiny and a CDN may hold it for a second or two.
    """
    event = store().event_by_slug(slug)
    if event is None:
        abort(404)
    recording = next((r for r in event.recordings if r.published), None)
    state = {
        "phase": event.phase,
        "stream_url": event.stream_url if event.phase == EventStatus.LIVE.value else "",
        "recording": recording.id if recording is not None else None,
    }
    response = jsonify(state)
    response.headers["Cache-Control"] = f"public, max-age={STATUS_MAX_AGE_S}"
    return response


@bp.get("/live/<name>")
def live_hls(name: str) -> Response:
    """The relay's live HLS: a playlist that changes every fragment, fragments that never change once listed."""
    if not LIVE_FILE.fullmatch(name):
        abort(404)
    response = send_from_directory(Path(current_app.config["STREAMKIT_LIVE_HLS_DIR"]).resolve(), name, max_age=0)
    response.headers["Cache-Control"] = PLAYLIST_CACHE if name.endswith(".m3u8") else FRAGMENT_CACHE
    if name.endswith(".m3u8"):
        response.headers["Content-Type"] = "application/vnd.apple.mpegurl"
    return response


@bp.get("/archive")
@cached_page(lag_s=STABLE_PAGE_S)
def archive_page() -> str:
    try:
        page = int(request.args.get("page", "1"))
        year = int(request.args["year"]) if request.args.get("year") else None
    except ValueError:
        abort(400)
    if year is not None and not 1900 <= year <= 9000:
        abort(400)
    kind = request.args.get("kind", "")
    if kind not in ("", *(k.value for k in EntryKind)):
        abort(400)
    query = ArchiveQuery(
        kind=kind,
        campaign=request.args.get("campaign", "")[:200],
        venue=request.args.get("venue", "")[:200],
        tag=request.args.get("tag", "")[:80],
        year=year,
        text=request.args.get("q", "").strip()[:100],
    )
    archive, revision = store(), request_revision()
    per_page = current_app.config["STREAMKIT_PAGE_SIZE"]
    found = archive.entry_cards(query, page=page, per_page=per_page, revision=revision)
    # Only the known filters go back into the page links: other names (endpoint, _external, _anchor…) would be
    # taken by url_for as its own arguments.
    filters = {name: request.args[name] for name in ARCHIVE_FILTERS if request.args.get(name)}
    form = _filter_form(query, filters, revision)
    return render_template("archive.html", page=found, filters=filters, filter_form=form)


def _filter_form(query: ArchiveQuery, filters: dict[str, str], revision: int) -> Markup:
    """The archive's filter form, rendered once per language, filters and revision: every page of a listing shows
    the same one, and it is a third of the page's template work."""
    # per app: each has its own database, whose revision numbers mean nothing to another's
    forms: dict[tuple[object, ...], Markup] = current_app.extensions.setdefault("streamkit_filter_forms", {})
    key = (str(get_locale()), query, tuple(sorted(filters.items())), revision)
    found = forms.get(key)
    if found is None:
        facets = store().facets(revision)
        found = Markup(render_template("_archive_filters.html", query=query, facets=facets, filters=filters))
        if len(forms) > 256:
            forms.clear()
        forms[key] = found
    return found


@bp.get("/watch/<id:entry_id>")
@cached_page(lag_s=STABLE_PAGE_S)
def entry_page(entry_id: int) -> str:
    entry = store().entry(entry_id)
    if entry is None:
        abort(404)
    page_url = url_for("public.entry_page", entry_id=entry_id, _external=True)
    jsonld = _video_data(entry)
    chapters = read_chapters(_media_path(entry.chapters_file)) if entry.chapters_file else []
    start = request.args.get("t", "")
    # ?t=133 (a martyr page's "appears at 02:13") starts the video there: a media fragment, no script needed.
    start_s = int(start) if start.isdigit() and int(start) * 1000 < max(entry.duration_ms, 1) else 0
    return render_template(
        "entry.html", entry=entry, chapters=chapters, page_url=page_url, jsonld=jsonld, start_s=start_s
    )


def _video_data(entry: ArchiveEntry) -> dict[str, Any]:
    return video_object(
        entry,
        url=url_for("public.entry_page", entry_id=entry.id, _external=True),
        content_url=entry_source(entry, external=True),
        thumbnail_url=media_url(entry.poster_file, external=True) or None,
    )


def _media_path(relative: str) -> Path:
    return store().media_dir / relative


@bp.get("/media/<path:name>")
def media(name: str) -> Response:
    """Published files with byte ranges (seeking) and validators; send_from_directory refuses paths outside."""
    response = send_from_directory(store().media_dir.resolve(), name, conditional=False, max_age=3600)
    accel: str = current_app.config["STREAMKIT_MEDIA_ACCEL"]
    if accel:
        # nginx sends the bytes, ranges and validators; the file's name and existence were checked just above
        response.close()
        handed = Response(status=200, mimetype=response.mimetype)
        handed.headers["X-Accel-Redirect"] = accel + quote(name)
        return handed
    environ = {k: v for k, v in request.environ.items() if k != "HTTP_RANGE"}
    asked = effective_range(request.headers.get("Range"), response.content_length or 0)
    if asked is not None:
        environ["HTTP_RANGE"] = asked
    try:
        return response.make_conditional(environ, accept_ranges=True, complete_length=response.content_length)
    except RequestedRangeNotSatisfiable:
        response.close()  # the file is open already
        raise


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/``: the language switch is no open redirect."""
    return target if site_path(target) else "/"


@bp.get("/lang/<code>")
def switch_language(code: str) -> Response:
    if code not in LOCALES:
        abort(404)
    response = redirect(local_path(request.args.get("next", "/")))
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
