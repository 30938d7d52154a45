"""Video uploads in the admin: a tus 1.0.0 server (creation, expiration, termination) and the page around it.

The browser (the vendored tus-js-client) first posts the form's title and captions to ``prepare``, which checks
them and answers with a ticket; then it creates the upload (``POST files/``, ``Upload-Length``, the ticket in
``Upload-Metadata``), sends it in chunks (``PATCH files/ID`` at ``Upload-Offset``), and after a lost connection
asks ``HEAD files/ID`` where to go on. The last byte starts the transcode; the page polls ``ID/status``.

Every request needs a signed-in staff user and only reaches that user's uploads; PATCH, POST and DELETE carry
the CSRF token in the ``X-CSRFToken`` header (app-wide CSRFProtect).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, BinaryIO

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Response

from streamkit.archive.models import Role
from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import FarmSettings, Settings, UploadSettings
from streamkit.media.hls import HlsVariant
from streamkit.media.publish import FULL_DISK
from streamkit.uploads.folder import Ticket, Upload, UploadError, UploadFolder, UploadState
from streamkit.uploads.jobs import start_transcode
from streamkit.uploads.transcode import TranscodeJob
from streamkit.web.access import require_role
from streamkit.web.admin import admin_globals
from streamkit.web.extensions import store
from streamkit.web.forms import UploadForm

bp = Blueprint("uploads", __name__)
bp.context_processor(admin_globals)
TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
OFFSET_TYPE = "application/offset+octet-stream"
UPLOADS_KEY = "streamkit_uploads"
READ_PIECE = 1 << 20


@dataclass(frozen=True)
class UploadService:
    settings: UploadSettings
    folder: UploadFolder
    farm: FarmSettings | None  # transcode on the farm; None: in a thread of this process
    database_url: str
    ffmpeg: str
    ffprobe: str


def init_uploads(app: Flask, settings: Settings) -> None:
    uploads = settings.web.uploads
    app.extensions[UPLOADS_KEY] = UploadService(
        settings=uploads,
        folder=UploadFolder(uploads.folder.resolve()),
        farm=settings.farm if uploads.transcode_on_farm else None,
        database_url=settings.web.database_url,
        ffmpeg=settings.media.ffmpeg,
        ffprobe=settings.media.ffprobe,
    )


def service() -> UploadService:
    found: UploadService = current_app.extensions[UPLOADS_KEY]
    return found


def user() -> str:
    return str(current_user.username)


@bp.after_request
def _tus_headers(response: Response) -> Response:
    if request.endpoint in ("uploads.files", "uploads.upload_file"):
        response.headers["Tus-Resumable"] = TUS_VERSION
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(UploadError)
def _upload_error(error: UploadError) -> Response:
    response = jsonify(error=str(error))
    response.status_code = error.status
    return response


def _tus_request() -> None:
    """Every tus request but OPTIONS names the protocol version (412 with the versions we speak otherwise)."""
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        response = jsonify(error=f"Tus-Resumable: {TUS_VERSION} is required")
        response.status_code = 412
        response.headers["Tus-Version"] = TUS_VERSION
        abort(response)


def _header_int(name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise UploadError(400, f"{name} must be a non-negative integer")
    return int(raw)


def parse_metadata(header: str) -> dict[str, str]:
    """tus ``Upload-Metadata``: comma-separated ``key base64value`` pairs (values UTF-8); a bad one is a 400."""
    found: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UploadError(400, f"Upload-Metadata {key!r} is not base64 of UTF-8") from None
    return found


def _printable(text: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:200]


@bp.get("/")
@require_role(Role.MEDIA_EDITOR)
def page() -> str:
    uploads = service()
    uploads.folder.expire(uploads.settings.expire_hours)
    recent = [_status(uploads.folder, upload_id) for upload_id in uploads.folder.ids()]
    mine = [entry for entry in recent if entry is not None and entry["user"] == user()][:20]
    limits = {"chunk_bytes": uploads.settings.chunk_bytes, "max_bytes": uploads.settings.max_bytes}
    return render_template("admin/uploads.html", form=UploadForm(), uploads=mine, **limits)


@bp.post("/prepare")
@require_role(Role.MEDIA_EDITOR)
def prepare() -> tuple[Response, int]:
    """Check the form (title, captions) before any byte of the video moves; a ticket for the upload to carry."""
    form = UploadForm()
    if not form.validate_on_submit():
        errors = {name: [str(e) for e in messages] for name, messages in form.errors.items()}
        return jsonify(errors=errors), 400
    captions = form.captions.data.read() if form.captions.data else None
    ticket = Ticket(
        id=secrets.token_hex(16),
        title=(form.title.data or "").strip(),
        user=user(),
        created_at=service().folder.clock(),
    )
    service().folder.add_ticket(ticket, captions)
    return jsonify(ticket=ticket.id, endpoint=url_for("uploads.files")), 200


@bp.route("/files/", methods=["OPTIONS"], provide_automatic_options=False)
@require_role(Role.MEDIA_EDITOR)
def files_options() -> Response:
    response = Response(status=204)
    response.headers.update(
        {
            "Tus-Resumable": TUS_VERSION,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(service().settings.max_bytes),
        }
    )
    return response


@bp.post("/files/")
@require_role(Role.MEDIA_EDITOR)
def files() -> Response:
    """tus creation: an empty upload of ``Upload-Length`` bytes; its URL in ``Location``."""
    _tus_request()
    uploads = service()
    if "Upload-Defer-Length" in request.headers:
        raise UploadError(400, "Upload-Defer-Length is not supported: give Upload-Length")
    length = _header_int("Upload-Length")
    if length > uploads.settings.max_bytes:
        raise UploadError(413, f"the upload is larger than the limit of {uploads.settings.max_bytes} bytes")
    if length == 0:
        raise UploadError(400, "the upload is empty")
    metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
    uploads.folder.expire(uploads.settings.expire_hours)
    ticket = uploads.folder.take_ticket(metadata["ticket"], user()) if "ticket" in metadata else None
    filename = _printable(metadata.get("filename", ""))[:200]
    # a title from metadata skipped the form's checks: only printable characters reach the archive and its feeds
    title = ticket.title if ticket else _printable(metadata.get("title") or filename.rpartition(".")[0] or filename)
    upload = Upload(
        id=secrets.token_hex(16),
        length=length,
        filename=filename,
        title=title.strip() or "upload",
        user=user(),
        created_at=uploads.folder.clock(),
    )
    upload = uploads.folder.create(upload, ticket)
    with store().transaction() as session:
        ArchiveStore.audit(session, user(), "upload.create", f"upload:{upload.id}", f"{upload.title} ({length} bytes)")
    response = Response(status=201)
    response.headers["Location"] = url_for("uploads.upload_file", upload_id=upload.id)
    response.headers["Upload-Expires"] = _expires(upload.id)
    return response


@bp.route("/files/<upload_id>", methods=["HEAD", "PATCH", "DELETE"])
@require_role(Role.MEDIA_EDITOR)
def upload_file(upload_id: str) -> Response:
    """HEAD: where the upload stands; PATCH: the next bytes at ``Upload-Offset``; DELETE: give it up."""
    _tus_request()
    uploads = service()
    upload = uploads.folder.load(upload_id, user())
    if request.method == "DELETE":
        if uploads.folder.state(upload.id).status != "uploading":
            raise UploadError(409, "the upload is complete; its transcode cannot be stopped from here")
        uploads.folder.remove(upload.id)
        return Response(status=204)
    if request.method == "PATCH":
        return _patch(uploads, upload)
    response = Response(status=200)
    complete = uploads.folder.state(upload.id).status != "uploading"  # its bytes may be in the archive by now
    response.headers["Upload-Offset"] = str(upload.length if complete else uploads.folder.offset(upload.id))
    response.headers["Upload-Length"] = str(upload.length)
    response.headers["Upload-Expires"] = _expires(upload.id)
    return response


def _patch(uploads: UploadService, upload: Upload) -> Response:
    if request.mimetype != OFFSET_TYPE:
        raise UploadError(415, f"Content-Type must be {OFFSET_TYPE}")
    offset = _header_int("Upload-Offset")
    size = request.content_length or 0  # none: no body, or a chunked one (which _receive holds to the length)
    if offset + size > upload.length:
        raise UploadError(413, "the bytes go past the Upload-Length given at creation")
    # a chunk is larger than any form: lift the site's body limit for this request only (the bytes are streamed
    # to the part file, never held; web.uploads.chunk_bytes is what the page sends, and what a proxy must let by)
    request.max_content_length = upload.length
    try:
        _still_uploading(uploads, upload)  # a complete upload's bytes may be gone to the archive already
        with uploads.folder.appending(upload, offset) as handle:
            _still_uploading(uploads, upload)  # and again under the lock, which the completing PATCH held
            _receive(handle, upload.length - offset)
            received = handle.tell()
            # decided under the lock: of two PATCHes that end together, only one starts the transcode
            complete = received == upload.length
            if complete:
                uploads.folder.set_state(upload.id, UploadState(status="received"))
    except OSError as error:
        if error.errno not in FULL_DISK:
            raise
        raise UploadError(507, "the upload folder is full") from None
    if complete:
        start_transcode(_job(uploads, upload), uploads.farm)
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(received)
    response.headers["Upload-Expires"] = _expires(upload.id)
    return response


def _still_uploading(uploads: UploadService, upload: Upload) -> None:
    if uploads.folder.state(upload.id).status != "uploading":
        raise UploadError(409, "the upload is complete")


def _receive(handle: BinaryIO, room: int) -> None:
    """Copy the request's body into the part file as it arrives, at most ``room`` bytes (413 beyond)."""
    while True:
        try:
            piece = request.stream.read(READ_PIECE)
        except (ClientDisconnected, ConnectionError):
            return  # tus: keep what arrived; the client asks HEAD and resumes there
        if not piece:
            return
        if len(piece) > room:  # a chunked body longer than promised: what came before it stays (HEAD says where)
            raise UploadError(413, "the bytes go past the Upload-Length given at creation")
        handle.write(piece)
        room -= len(piece)


def _job(uploads: UploadService, upload: Upload) -> TranscodeJob:
    archive = store()
    ladder = tuple(HlsVariant(r.height, r.bitrate_kbps) for r in uploads.settings.ladder)
    return TranscodeJob(
        uploads.folder.root,
        upload.id,
        uploads.database_url,
        archive.media_dir.resolve(),
        ladder,
        uploads.settings.preset,
        uploads.settings.crf,
        uploads.ffmpeg,
        uploads.ffprobe,
    )


def _expires(upload_id: str) -> str:
    uploads = service()
    return formatdate(uploads.folder.expires_at(upload_id, uploads.settings.expire_hours), usegmt=True)


@bp.get("/<upload_id>/status")
@require_role(Role.MEDIA_EDITOR)
def status(upload_id: str) -> Response:
    """What became of an upload, for the page to poll: status, progress, a message, the entry when published."""
    uploads = service()
    uploads.folder.load(upload_id, user())  # 404 for another user's
    found = _status(uploads.folder, upload_id)
    if found is None:
        abort(404)
    return jsonify(found)


def _status(folder: UploadFolder, upload_id: str) -> dict[str, Any] | None:
    try:
        upload = folder.load(upload_id)
        state = folder.state(upload_id)
    except UploadError:
        return None  # removed meanwhile
    return {
        "id": upload.id,
        "title": upload.title,
        "user": upload.user,
        "status": state.status,
        "label": status_label(state),
        "progress": state.progress,
        "received": folder.offset(upload.id) if state.status == "uploading" else upload.length,
        "length": upload.length,
        "message": problem_message(state),
        "entry_url": url_for("public.entry_page", entry_id=state.entry_id) if state.entry_id else "",
    }


def status_label(state: UploadState) -> str:
    labels: dict[str, str] = {
        "uploading": gettext("Uploading"),
        "received": gettext("Received, waiting to be transcoded"),
        "probing": gettext("Checking the file"),
        "transcoding": gettext("Transcoding"),
        "published": gettext("Published"),
        "refused": gettext("Refused"),
        "failed": gettext("Failed"),
    }
    return labels[state.status]


def problem_message(state: UploadState) -> str:
    """The one message staff see for a refused or failed upload (in their language)."""
    if state.problem == "not_video":
        return str(gettext("This file is not a video, so it was not kept. Please upload a video file."))
    if state.problem:
        return str(gettext("The video could not be transcoded; nothing was published.")) + f" ({state.detail})"
    return ""
