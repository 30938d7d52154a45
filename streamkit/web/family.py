"""Families on the public site: the proxy tomb-sweeping request (代为祭扫), the family's private page, the list of
martyrs whose relatives are sought (寻亲) and its claim form.

What a family or claimant types is sealed before it is stored and is never echoed back: the "received" pages name
only the martyr. The private page answers the same 404 for a wrong, expired or revoked token, is marked noindex and
no-store, is never page-cached and is linked from nowhere. Without a sealing key the forms say the service is
unavailable (the app logged why once, at start).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask import Response as FlaskResponse
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from streamkit.config.settings import ParticipationSettings
from streamkit.participation.relatives import open_search, sought_records, submit_claim
from streamkit.participation.sealed import Sealer, sealer_or_none
from streamkit.participation.sweeping import SweepRequest, family_page, normalise_phone, submit_sweep
from streamkit.register.search import find_martyr
from streamkit.web.extensions import limiter, store
from streamkit.web.forms import MULTILINE, ONE_LINE
from streamkit.web.page_cache import cached_page

bp = Blueprint("family", __name__)
SEALER_KEY = "streamkit_sealer"
SETTINGS_KEY = "streamkit_participation"
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
MAX_PAGE = 10_000
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "no-referrer",  # the token is in the address: never pass it on to another site
}

SWEEP_PURPOSE = (
    "您填写的姓名、关系、手机号码和心愿仅用于安排代为祭扫并与您联系（告知祭扫安排、打一通电话、发送祭扫照片的链接），"
    "加密保存，只有代祭扫工作人员可以查看。"
)
CLAIM_PURPOSE = (
    "您填写的姓名、联系方式和所知情况仅用于工作人员核实您与烈士的亲属关系并与您联系，加密保存，只有工作人员可以查看。"
)


def init_family(app: Flask, settings: ParticipationSettings) -> None:
    """Keep the sealer (None without a key) and the participation settings on the app."""
    app.extensions[SEALER_KEY] = sealer_or_none(settings.data_keys)
    app.extensions[SETTINGS_KEY] = settings


def sealer() -> Sealer | None:
    found: Sealer | None = current_app.extensions[SEALER_KEY]
    return found


def participation() -> ParticipationSettings:
    found: ParticipationSettings = current_app.extensions[SETTINGS_KEY]
    return found


def request_rate_limit() -> str:
    return participation().request_rate_limit


def retention_note() -> str:
    return f"祭扫完成或取消 {participation().retention_days} 天后，您的联系信息将被删除；您也可以随时要求导出或删除。"


def today() -> date:
    return datetime.now(LOCAL_ZONE).date()


class SweepForm(FlaskForm):
    name = StringField(
        "您的姓名", [DataRequired("请填写您的姓名"), Length(max=40, message="姓名最多 40 个字"), ONE_LINE]
    )
    relation = StringField(
        "与烈士的关系（如：孙子、侄女）",
        [DataRequired("请填写您与烈士的关系"), Length(max=20, message="关系最多 20 个字"), ONE_LINE],
    )
    phone = StringField(
        "手机号码", [DataRequired("请填写手机号码"), Length(max=30, message="请填写 11 位手机号码"), ONE_LINE]
    )
    preferred_date = StringField(
        "希望的祭扫日期", [DataRequired("请选择希望的祭扫日期"), Length(max=10, message="日期格式应为 2026-04-04")]
    )
    wishes = TextAreaField("祭扫心愿（可选）", [Length(max=500, message="心愿最多 500 个字"), MULTILINE])
    consent = BooleanField("我已阅读并同意上述用途和保存期限", [DataRequired("请阅读并勾选同意，才能提交申请")])

    def validate_phone(self, field: StringField) -> None:
        if field.data and normalise_phone(field.data) is None:
            raise ValidationError("请填写中国大陆 11 位手机号码，例如 139 1234 5678")

    def validate_preferred_date(self, field: StringField) -> None:
        if not field.data:
            return
        try:
            day = date.fromisoformat(field.data.strip())
        except ValueError:
            raise ValidationError("日期格式应为 2026-04-04") from None
        if not today() <= day <= today() + timedelta(days=365):
            raise ValidationError("请选择今天起一年以内的日期")


class ClaimForm(FlaskForm):
    name = StringField(
        "您的姓名", [DataRequired("请填写您的姓名"), Length(max=40, message="姓名最多 40 个字"), ONE_LINE]
    )
    contact = StringField(
        "联系方式（手机号码或其他）",
        [DataRequired("请留下联系方式"), Length(max=60, message="联系方式最多 60 个字"), ONE_LINE],
    )
    knowledge = TextAreaField(
        "您所知道的情况（亲属关系、家乡、参军时间、书信等）",
        [DataRequired("请写下您所知道的情况"), Length(min=4, max=2000, message="请用 4 到 2000 个字说明"), MULTILINE],
    )
    consent = BooleanField("我已阅读并同意上述用途和保存期限", [DataRequired("请阅读并勾选同意，才能提交")])


def _public_martyr_name(martyr_id: int) -> str:
    martyr = find_martyr(store(), martyr_id)
    if martyr is None or martyr.hidden:
        abort(404)
    return martyr.name


def _private(response: FlaskResponse) -> FlaskResponse:
    for name, value in PRIVATE_HEADERS.items():
        response.headers[name] = value
    return response


def private_file(relative: str) -> Path:
    """A file in the private folder, or a 404 when it is not there."""
    path = Path(participation().private_dir).resolve() / relative
    if not path.is_file():
        abort(404)
    return path


def private_jpeg(relative: str) -> FlaskResponse:
    """A photo's derivative from the private folder; the caller adds the headers that keep it private."""
    response = make_response(private_file(relative).read_bytes())
    response.headers["Content-Type"] = "image/jpeg"
    return response


@bp.route("/martyrs/<id:martyr_id>/proxy-sweep", methods=["GET", "POST"])
@limiter.limit(request_rate_limit, methods=["POST"])
def proxy_sweep(martyr_id: int) -> FlaskResponse | Response:
    name = _public_martyr_name(martyr_id)
    box = sealer()
    form = SweepForm()
    context = {"name": name, "martyr_id": martyr_id, "purpose": SWEEP_PURPOSE, "retention": retention_note()}
    if box is None:  # the page works and says so; only a submission is refused as unavailable
        page = render_template("proxy_sweep.html", form=None, **context)
        return _private(make_response(page, 503 if request.method == "POST" else 200))
    if request.method == "POST":
        if form.validate():
            phone = normalise_phone(form.phone.data or "")
            assert phone is not None  # validate_phone
            asked = SweepRequest(
                name=(form.name.data or "").strip(),
                relation=(form.relation.data or "").strip(),
                phone=phone,
                preferred_date=date.fromisoformat((form.preferred_date.data or "").strip()),
                wishes=(form.wishes.data or "").strip(),
            )
            if submit_sweep(store(), box, martyr_id, asked) is None:
                abort(404)
            return redirect(url_for("family.sweep_received", martyr_id=martyr_id), 303)
        return _private(make_response(render_template("proxy_sweep.html", form=form, **context), 400))
    if not form.preferred_date.data:
        form.preferred_date.data = (today() + timedelta(days=7)).isoformat()
    return _private(make_response(render_template("proxy_sweep.html", form=form, **context)))


@bp.get("/martyrs/<id:martyr_id>/proxy-sweep/received")
def sweep_received(martyr_id: int) -> str:
    name = _public_martyr_name(martyr_id)
    return render_template("family_received.html", name=name, martyr_id=martyr_id, what="sweep")


@bp.get("/family/<token>")
def private_page(token: str) -> FlaskResponse:
    found = family_page(store(), token)
    if found is None:
        abort(404)
    return _private(make_response(render_template("family_page.html", page=found, token=token)))


@bp.get("/family/<token>/photos/<id:photo_id>.jpg")
def private_photo(token: str, photo_id: int) -> FlaskResponse:
    found = family_page(store(), token)
    photo = next((p for p in found.photos if p.id == photo_id), None) if found else None
    if photo is None:
        abort(404)
    return _private(private_jpeg(photo.derivative))


@bp.get("/family/<token>/video.mp4")
def private_video(token: str) -> FlaskResponse:
    found = family_page(store(), token)
    if found is None or not found.video:
        abort(404)
    # conditional: byte ranges, so the player can seek
    response = send_file(private_file(found.video), mimetype="video/mp4", conditional=True, max_age=0)
    return _private(response)


@bp.get("/relatives")
@cached_page
def relatives_page() -> str:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    if not 1 <= page <= MAX_PAGE:
        abort(400)
    per_page: int = current_app.config["STREAMKIT_PAGE_SIZE"]
    rows = sought_records(store(), limit=per_page + 1, offset=(page - 1) * per_page)
    return render_template(
        "relatives.html", rows=rows[:per_page], page=page, has_next=len(rows) > per_page, open=sealer() is not None
    )


@bp.route("/relatives/<id:martyr_id>/claim", methods=["GET", "POST"])
@limiter.limit(request_rate_limit, methods=["POST"])
def claim(martyr_id: int) -> FlaskResponse | Response:
    record = open_search(store(), martyr_id)
    if record is None:
        abort(404)
    box = sealer()
    form = ClaimForm()
    context = {
        "record": record,
        "purpose": CLAIM_PURPOSE,
        "retention": retention_note().replace("祭扫完成或取消", "核实结束"),
    }
    if box is None:
        page = render_template("relative_claim.html", form=None, **context)
        return _private(make_response(page, 503 if request.method == "POST" else 200))
    if request.method == "POST":
        if form.validate():
            claim_id = submit_claim(
                store(),
                box,
                martyr_id,
                name=(form.name.data or "").strip(),
                contact=(form.contact.data or "").strip(),
                knowledge=(form.knowledge.data or "").strip(),
            )
            if claim_id is None:
                abort(404)
            return redirect(url_for("family.claim_received", martyr_id=martyr_id), 303)
        return _private(make_response(render_template("relative_claim.html", form=form, **context), 400))
    return _private(make_response(render_template("relative_claim.html", form=form, **context)))


@bp.get("/relatives/<id:martyr_id>/claim/received")
def claim_received(martyr_id: int) -> str:
    name = _public_martyr_name(martyr_id)
    return render_template("family_received.html", name=name, martyr_id=martyr_id, what="claim")
