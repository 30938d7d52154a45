"""Staff pages for families: proxy-sweeping work orders (schedule, "四个一" checklist, photo set through the photo
checks, video, done, the family's link, export and erase), the search for relatives (records, claims, follow-up),
and one family's data across all its requests and claims, found by mobile number (list, export all, erase all).

Pages that open sealed data are ``no-store``; every change goes through ``participation`` functions that write the
audit log in the same transaction, with numbers and statuses only. Work orders and claims (contact data) need
``proxy_staff``; the list of records whose relatives are sought also opens to register editors; a district's staff
reach only their district's records (``_same_district``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from streamkit.archive.models import Role
from streamkit.archive.store import ArchiveQuery
from streamkit.errors import ArchiveError
from streamkit.participation.family_data import FamilyQuery, erase_family, export_family, family_query, find_family
from streamkit.participation.family_models import (
    CHECKLIST,
    ClaimStatus,
    ProxySweep,
    RelativeClaim,
    SweepPhoto,
    SweepStatus,
)
from streamkit.participation.relatives import (
    all_searches,
    claim_view,
    claims,
    erase_claim,
    follow_up,
    mark_found,
    mark_sought,
    unmark,
)
from streamkit.participation.sealed import Sealer
from streamkit.participation.sweep_photos import MAX_PHOTO_BYTES, add_sweep_photo
from streamkit.participation.sweep_video import MAX_VIDEO_BYTES, MAX_VIDEO_SECONDS, VideoRefused, add_sweep_video
from streamkit.participation.sweeping import (
    cancel_sweep,
    choose_video,
    erase_sweep,
    export_sweep,
    finish_sweep,
    issue_link,
    revoke_link,
    schedule_sweep,
    set_checklist,
    sweep_orders,
    sweep_view,
)
from streamkit.register.models import Martyr
from streamkit.register.photo_checks import PhotoScores
from streamkit.web.access import check_cemetery, require_role, visible_cemeteries
from streamkit.web.admin import actor, admin_globals
from streamkit.web.extensions import csrf, store
from streamkit.web.family import PRIVATE_HEADERS, participation, private_jpeg, sealer
from streamkit.web.forms import ONE_LINE, ConfirmForm

bp = Blueprint("family_admin", __name__)
bp.context_processor(admin_globals)
MAX_PHOTOS_PER_UPLOAD = 8
CHECKLIST_LABELS = {
    "wiped": "擦拭一遍墓碑",
    "flowers": "敬献一束鲜花",
    "photos": "拍摄一组照片",
    "called": "打一通电话",
}
PROBLEM_LABELS = {
    "blurred": "照片模糊（清晰度不足）",
    "dark": "照片过暗",
    "bright": "照片过亮（曝光过度）",
    "small": "照片太小（短边不足）",
    "unreadable": "无法读取为图片",
    "closed": "工单已结束，不能再添加照片",
}
VIDEO_REASONS = {
    "not-video": "这个文件不是视频",
    "too-long": f"视频太长（最长 {MAX_VIDEO_SECONDS // 60} 分钟）",
    "failed": "视频转码失败，请换一个文件",
}
STATUS_LABELS = {"requested": "已申请", "scheduled": "已安排", "done": "已完成", "cancelled": "已取消"}
CLAIM_LABELS = {"new": "新线索", "contacting": "联系中", "verified": "已核实", "not_related": "非亲属"}


proxy_staff = require_role(Role.PROXY_STAFF)  # families' requests and claims: their contact data
relatives_staff = require_role(Role.PROXY_STAFF, Role.REGISTER_EDITOR)  # which records are sought, no contact data


@bp.before_request
def _same_district() -> None:
    """A record of another district is a 404 for a district's staff, for every route that names one."""
    if not current_user.is_authenticated or request.view_args is None:
        return  # the route's role guard sends the visitor to sign in
    args = request.view_args
    raw = request.form.get("martyr_id", "") if request.endpoint == "family_admin.seek" else ""
    with store().session() as session:
        martyr_id: int | None = args.get("martyr_id") or (int(raw) if raw.isdigit() and len(raw) < 18 else None)
        if "photo_id" in args:
            photo = session.get(SweepPhoto, args["photo_id"])
            args_sweep = photo.sweep_id if photo else None
        else:
            args_sweep = args.get("sweep_id")
        if args_sweep is not None:
            order = session.get(ProxySweep, args_sweep)
            martyr_id = order.martyr_id if order else 0
        if "claim_id" in args:
            found = session.get(RelativeClaim, args["claim_id"])
            martyr_id = found.martyr_id if found else 0
        if martyr_id is None:
            return
        martyr = session.get(Martyr, martyr_id)
        check_cemetery(martyr.cemetery if martyr else None)


NO_KEY = "未配置个人信息密钥（participation.data_keys），无法打开或修改个人信息"


def _no_store(response: FlaskResponse) -> FlaskResponse:
    response.headers["Cache-Control"] = PRIVATE_HEADERS["Cache-Control"]
    response.headers["X-Robots-Tag"] = PRIVATE_HEADERS["X-Robots-Tag"]
    return response


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "claim_labels": CLAIM_LABELS, "checklist_labels": CHECKLIST_LABELS}


@bp.get("/sweeps")
@proxy_staff
def sweeps() -> str:
    status = request.args.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    return render_template(
        "admin/sweeps.html",
        orders=sweep_orders(store(), status, cemeteries=visible_cemeteries()),
        status=status,
        **_labels(),
    )


def _sweep_page(sweep_id: int, code: int = 200, **extra: Any) -> FlaskResponse:
    view = sweep_view(store(), sealer(), sweep_id)
    if view is None:
        abort(404)
    entries = store().list_entries(ArchiveQuery(kind="recording"), per_page=100, published_only=False).items
    page = render_template(
        "admin/sweep.html",
        view=view,
        form=ConfirmForm(),
        entries=entries,
        checklist=CHECKLIST,
        problem_labels=PROBLEM_LABELS,
        photo_set_min=participation().photo_set_min,
        locked=sealer() is None,
        open=view.order.status in (SweepStatus.REQUESTED.value, SweepStatus.SCHEDULED.value),
        **_labels(),
        **extra,
    )
    return _no_store(make_response(page, code))


@bp.get("/sweeps/<id:sweep_id>")
@proxy_staff
def sweep(sweep_id: int) -> FlaskResponse:
    return _sweep_page(sweep_id)


def _back(location: str, message: str) -> Response:
    """Flash the message and send the browser back with a 303, so a reload does not post the form again."""
    flash(message)
    return redirect(location, 303)


def _apply(change: Callable[[], None], done: str, location: str) -> Response:
    """Check the form's token, make the change and go back to ``location`` saying how it went."""
    _confirmed()
    try:
        change()
    except ArchiveError as exc:
        return _back(location, str(exc))
    return _back(location, done)


def _sweep_url(sweep_id: int) -> str:
    return url_for("family_admin.sweep", sweep_id=sweep_id)


def _act(sweep_id: int, change: Callable[[], None], done: str) -> Response:
    return _apply(change, done, _sweep_url(sweep_id))


@bp.post("/sweeps/<id:sweep_id>/schedule")
@proxy_staff
def schedule(sweep_id: int) -> Response:
    try:
        day = date.fromisoformat(request.form.get("day", "")[:10])
    except ValueError:
        _confirmed()
        return _back(_sweep_url(sweep_id), "请填写日期（例如 2026-04-04）")
    return _act(sweep_id, lambda: schedule_sweep(store(), sweep_id, day, actor=actor()), "已安排")


@bp.post("/sweeps/<id:sweep_id>/checklist")
@proxy_staff
def checklist(sweep_id: int) -> Response:
    ticked = {item for item in CHECKLIST if request.form.get(item)}
    return _act(sweep_id, lambda: set_checklist(store(), sweep_id, ticked, actor=actor()), "清单已保存")


@bp.post("/sweeps/<id:sweep_id>/photos")
@proxy_staff
def photos(sweep_id: int) -> FlaskResponse:
    # The site-wide limit is 1 MiB; a phone photo set needs more, so this one route raises it before the body is
    # read, and checks the CSRF token itself (the app-wide check would have read the body under the small limit).
    request.max_content_length = MAX_PHOTOS_PER_UPLOAD * MAX_PHOTO_BYTES
    csrf.protect()
    files = [f for f in request.files.getlist("photos") if f.filename][:MAX_PHOTOS_PER_UPLOAD]
    if not files:
        return _sweep_page(sweep_id, 400, upload_error="请选择要上传的照片")
    verdicts: list[tuple[str, PhotoScores | None, tuple[str, ...]]] = []
    for upload in files:
        data = upload.read(MAX_PHOTO_BYTES + 1)
        name = Path(upload.filename or "").name[:80]
        if len(data) > MAX_PHOTO_BYTES:
            verdicts.append((name, None, ("unreadable",)))
            continue
        verdict = add_sweep_photo(store(), sweep_id, data, participation().private_dir, actor=actor())
        verdicts.append((name, verdict.scores, verdict.problems))
    refused = any(problems for _, _, problems in verdicts)
    return _sweep_page(sweep_id, 400 if refused else 200, verdicts=verdicts)


csrf.exempt(photos)


@bp.get("/photos/<id:photo_id>.jpg")
@proxy_staff
def photo(photo_id: int) -> FlaskResponse:
    with store().session() as session:
        found = session.get(SweepPhoto, photo_id)
    if found is None:
        abort(404)
    return _no_store(private_jpeg(found.derivative))


@bp.post("/sweeps/<id:sweep_id>/video")
@proxy_staff
def video(sweep_id: int) -> Response:
    raw = request.form.get("entry_id", "")
    entry_id = int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None
    return _act(sweep_id, lambda: choose_video(store(), sweep_id, entry_id, actor=actor()), "视频已选择")


@bp.post("/sweeps/<id:sweep_id>/video-upload")
@proxy_staff
def video_upload(sweep_id: int) -> Response:
    request.max_content_length = MAX_VIDEO_BYTES + (1 << 20)  # raised before the body is read, as for photos
    csrf.protect()
    upload = request.files.get("video")
    if upload is None or not upload.filename:
        return _back(_sweep_url(sweep_id), "请选择要上传的视频")
    folder = Path(participation().private_dir)
    folder.mkdir(parents=True, exist_ok=True)
    received = folder / f".upload-{secrets.token_hex(8)}"
    try:
        upload.save(received)
        add_sweep_video(store(), sweep_id, received, folder, actor=actor())
    except VideoRefused as exc:
        flash(VIDEO_REASONS[exc.reason])
    except ArchiveError as exc:
        flash(str(exc))
    else:
        flash("视频已上传并转码")
    finally:
        received.unlink(missing_ok=True)
    return redirect(_sweep_url(sweep_id), 303)


csrf.exempt(video_upload)


@bp.post("/sweeps/<id:sweep_id>/done")
@proxy_staff
def done(sweep_id: int) -> Response:
    minimum = participation().photo_set_min
    return _act(sweep_id, lambda: finish_sweep(store(), sweep_id, actor=actor(), photo_set_min=minimum), "已完成")


@bp.post("/sweeps/<id:sweep_id>/cancel")
@proxy_staff
def cancel(sweep_id: int) -> Response:
    return _act(sweep_id, lambda: cancel_sweep(store(), sweep_id, actor=actor()), "已取消")


@bp.post("/sweeps/<id:sweep_id>/link")
@proxy_staff
def link(sweep_id: int) -> FlaskResponse | Response:
    _confirmed()
    try:
        token = issue_link(store(), sweep_id, actor=actor(), days=participation().family_link_days)
    except ArchiveError as exc:
        return _back(_sweep_url(sweep_id), str(exc))
    # Shown once, on this page only: the database keeps the token's hash, so it cannot be shown again.
    address = url_for("family.private_page", token=token, _external=True)
    return _sweep_page(sweep_id, family_link=address)


@bp.post("/sweeps/<id:sweep_id>/link/revoke")
@proxy_staff
def revoke(sweep_id: int) -> Response:
    return _act(sweep_id, lambda: revoke_link(store(), sweep_id, actor=actor()), "链接已撤销")


@bp.post("/sweeps/<id:sweep_id>/export")
@proxy_staff
def export(sweep_id: int) -> FlaskResponse | Response:
    _confirmed()
    box = sealer()
    if box is None:
        return _back(_sweep_url(sweep_id), NO_KEY)
    try:
        data = export_sweep(store(), box, sweep_id, actor=actor())
    except ArchiveError:
        abort(404)
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="proxy-sweep-{sweep_id}.json"'
    return _no_store(response)


@bp.post("/sweeps/<id:sweep_id>/erase")
@proxy_staff
def erase(sweep_id: int) -> Response:
    return _act(sweep_id, lambda: erase_sweep(store(), sweep_id, actor=actor()), "个人信息已删除")


@bp.get("/relatives")
@relatives_staff
def relatives() -> FlaskResponse:
    page = render_template(
        "admin/relatives.html",
        searches=all_searches(store(), cemeteries=visible_cemeteries()),
        claims=claims(store(), cemeteries=visible_cemeteries()),
        form=ConfirmForm(),
        **_labels(),
    )
    return _no_store(make_response(page))


def _to_relatives(change: Callable[[], None], done: str) -> Response:
    return _apply(change, done, url_for("family_admin.relatives"))


@bp.post("/relatives/seek")
@relatives_staff
def seek() -> Response:
    raw = request.form.get("martyr_id", "").strip()
    note = request.form.get("note", "").strip()[:500]
    if not (raw.isdigit() and 0 < int(raw) < 2**63):
        _confirmed()
        return _back(url_for("family_admin.relatives"), "请填写英名录中的编号")
    return _to_relatives(lambda: mark_sought(store(), int(raw), note, actor=actor()), "已列入寻亲名单")


@bp.post("/relatives/<id:martyr_id>/<any(found, unmark):action>")
@relatives_staff
def search_action(martyr_id: int, action: str) -> Response:
    if action == "found":
        return _to_relatives(lambda: mark_found(store(), martyr_id, actor=actor()), "已标记为找到亲人")
    return _to_relatives(lambda: unmark(store(), martyr_id, actor=actor()), "已移出寻亲名单")


@bp.route("/claims/<id:claim_id>", methods=["GET", "POST"])
@proxy_staff
def claim(claim_id: int) -> FlaskResponse | Response:
    box = sealer()
    if request.method == "POST":
        back = url_for("family_admin.claim", claim_id=claim_id)
        if box is None:
            _confirmed()
            return _back(back, NO_KEY)
        key = box  # narrowed for the lambda
        status = request.form.get("status", "")
        note = request.form.get("note", "").strip()[:2000]
        return _apply(lambda: follow_up(store(), key, claim_id, status, note, actor=actor()), "已保存", back)
    view = claim_view(store(), box, claim_id)
    if view is None:
        abort(404)
    page = render_template(
        "admin/claim.html",
        view=view,
        locked=box is None,
        form=ConfirmForm(),
        statuses=[s.value for s in ClaimStatus],
        **_labels(),
    )
    return _no_store(make_response(page))


@bp.post("/claims/<id:claim_id>/erase")
@proxy_staff
def claim_erase(claim_id: int) -> Response:
    back = url_for("family_admin.claim", claim_id=claim_id)
    return _apply(lambda: erase_claim(store(), claim_id, actor=actor()), "个人信息已删除", back)


class FamilyForm(FlaskForm):
    """Whose data: the number the family gave (as the request form takes it) and, optionally, a name."""

    phone = StringField(
        "手机号码", [DataRequired("请填写手机号码"), Length(max=30, message="请填写 11 位手机号码"), ONE_LINE]
    )
    name = StringField("姓名（可选，同一号码有多人使用时填写）", [Length(max=40, message="姓名最多 40 个字"), ONE_LINE])

    def validate_phone(self, field: StringField) -> None:
        if field.data:
            try:
                family_query(field.data)
            except ArchiveError:
                raise ValidationError("请填写中国大陆 11 位手机号码，例如 139 1234 5678") from None

    def query(self) -> FamilyQuery:
        return family_query(self.phone.data or "", self.name.data or "")


def masked(phone: str) -> str:
    """A number as staff pages name it outside its input: ``139****0123``."""
    return f"{phone[:3]}****{phone[-4:]}"


def _family_page(form: FamilyForm, code: int = 200, **extra: Any) -> FlaskResponse:
    page = render_template("admin/families.html", form=form, locked=sealer() is None, **_labels(), **extra)
    return _no_store(make_response(page, code))


def _posted_family() -> tuple[FamilyForm, FamilyQuery, Sealer] | FlaskResponse:
    """The posted form, its query and the sealer; or the page saying what is wrong (400, or 503 without a key)."""
    form = FamilyForm()
    valid = form.validate_on_submit()
    if form.csrf_token.errors:
        abort(400)
    box = sealer()
    if box is None:
        return _family_page(form, 503)
    if not valid:
        return _family_page(form, 400)
    return form, form.query(), box


@bp.route("/families", methods=["GET", "POST"])
@proxy_staff
def families() -> FlaskResponse:
    if request.method == "GET":
        return _family_page(FamilyForm())
    posted = _posted_family()
    if not isinstance(posted, tuple):
        return posted
    form, query, box = posted
    found = find_family(store(), box, query, cemeteries=visible_cemeteries())
    return _family_page(form, found=found, shown=masked(query.phone))


@bp.post("/families/export")
@proxy_staff
def families_export() -> FlaskResponse:
    posted = _posted_family()
    if not isinstance(posted, tuple):
        return posted
    form, query, box = posted
    export = export_family(store(), box, query, actor=actor(), cemeteries=visible_cemeteries())
    if not export.found.records:
        return _family_page(form, 404, found=export.found, shown=masked(query.phone))
    response = make_response(json.dumps(export.data, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    day = str(export.data["exported_at"])[:10]
    response.headers["Content-Disposition"] = f'attachment; filename="family-data-{day}.json"'  # never the number
    return _no_store(response)


@bp.post("/families/erase")
@proxy_staff
def families_erase() -> FlaskResponse:
    """The first post shows what would be erased and asks again; the confirmed post erases it all."""
    posted = _posted_family()
    if not isinstance(posted, tuple):
        return posted
    form, query, box = posted
    if request.form.get("confirmed") != "yes":
        found = find_family(store(), box, query, cemeteries=visible_cemeteries())
        return _family_page(form, found=found, shown=masked(query.phone), confirm=bool(found.records))
    erased = erase_family(store(), box, query, actor=actor(), cemeteries=visible_cemeteries())
    return _family_page(FamilyForm(formdata=None), erased=erased, shown=masked(query.phone))
