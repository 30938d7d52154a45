"""Staff pages for the register: find a record, edit it (audit-logged), hide it or single fields, add documents.

Every view goes through ``editor_only``, the one place that says who may edit the register.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from streamkit.archive.models import Role
from streamkit.errors import ArchiveError
from streamkit.register.documents import (
    KINDS,
    MAX_UPLOAD_BYTES,
    DocumentDraft,
    add_document,
    documents_of,
    set_document_hidden,
)
from streamkit.register.editing import EDITABLE, RecordProblems, edit_record, form_values
from streamkit.register.models import Martyr
from streamkit.register.public import LABELS, PUBLIC_FIELDS
from streamkit.register.search import RegisterQuery, search
from streamkit.web.access import check_cemetery, may_see, require_role
from streamkit.web.admin import actor, admin_globals
from streamkit.web.extensions import store
from streamkit.web.forms import ONE_LINE, ConfirmForm, PlainText

bp = Blueprint("register_admin", __name__)
bp.context_processor(admin_globals)


editor_only = require_role(Role.REGISTER_EDITOR)  # who may edit the register; records also pass check_cemetery


def allow_uploads() -> None:
    """Let a signed-in editor's document upload be larger than the site's 1 MB limit for forms (before the CSRF
    check reads the body)."""
    if request.endpoint == "register_admin.add_document_view" and current_user.is_authenticated:
        request.max_content_length = MAX_UPLOAD_BYTES + (64 << 10)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RecordForm(FlaskForm):
    name = StringField("姓名", validators=[Length(max=100), ONE_LINE])
    sex = SelectField(
        "性别",
        choices=[SelectChoice("", "—"), SelectChoice("男", "男"), SelectChoice("女", "女")],
        validate_choice=False,
    )
    native_place = StringField("籍贯", validators=[Length(max=200), ONE_LINE])
    born = StringField("出生年月", validators=[Length(max=60), ONE_LINE])
    died = StringField("牺牲时间", validators=[Length(max=60), ONE_LINE])
    unit = StringField("部队", validators=[Length(max=300), ONE_LINE])
    post = StringField("职务", validators=[Length(max=200), ONE_LINE])
    place_of_death = StringField("牺牲地点", validators=[Length(max=300), ONE_LINE])
    cemetery = StringField("陵园", validators=[Length(max=200), ONE_LINE])
    section = StringField("墓区", validators=[Length(max=60), ONE_LINE])
    row = StringField("排", validators=[Length(max=20), ONE_LINE])
    number = StringField("号", validators=[Length(max=20), ONE_LINE])
    biography = TextAreaField("生平事迹", validators=[Length(max=20000), PlainText(multiline=True)])
    source = StringField("来源", validators=[Length(max=500), ONE_LINE])
    hidden = BooleanField("整条记录不公开（家属要求）")
    hidden_fields = MultiCheckboxField("不公开的字段", choices=[SelectChoice(f, LABELS[f]) for f in PUBLIC_FIELDS])
    family_contact = StringField("家属联系方式（仅工作人员可见）", validators=[Length(max=300), ONE_LINE])
    private_notes = TextAreaField(
        "内部备注（仅工作人员可见）", validators=[Length(max=5000), PlainText(multiline=True)]
    )


class DocumentForm(FlaskForm):
    kind = SelectField("类别", choices=[SelectChoice(k, label) for k, label in KINDS.items()])
    caption = StringField("说明", validators=[Length(max=300), ONE_LINE])
    source = StringField("来源", validators=[DataRequired("请填写来源"), Length(max=500), ONE_LINE])
    transcription = TextAreaField("释文（家书的文字）", validators=[Length(max=20000), PlainText(multiline=True)])
    upload = FileField("扫描件或照片", validators=[FileRequired("请选择文件")])


# What a refused edit says beside the field, in Chinese; the cause follows in the words of the checks.
_PROBLEMS = {"name": "请填写姓名", "born": "日期无法识别", "died": "日期无法识别", "sex": "性别只能是男或女"}


@bp.get("/")
@editor_only
def records() -> str:
    text = request.args.get("q", "").strip()[:100]
    found: list[Martyr] = []
    if text:
        found = search(store(), RegisterQuery(text=text, limit=50, include_hidden=True))
        # A withheld name is not in the search text (the public search must not find it); staff find it by name.
        with store().session() as session:
            exact = session.scalars(select(Martyr).where(Martyr.name == text).order_by(Martyr.id).limit(50))
            found += [m for m in exact if m.id not in {f.id for f in found}]
        found = [m for m in found if may_see(m.cemetery)]
    return render_template("admin/martyrs.html", q=text, found=found)


@bp.route("/<id:martyr_id>/edit", methods=["GET", "POST"])
@editor_only
def edit(martyr_id: int) -> str | Response | tuple[str, int]:
    archive = store()
    with archive.session() as session:
        martyr = session.get(Martyr, martyr_id)
    check_cemetery(martyr.cemetery if martyr else None)
    form = RecordForm(data=_form_data(martyr_id)) if request.method == "GET" else RecordForm()
    if form.validate_on_submit() and not may_see(form.cemetery.data or ""):
        form.cemetery.errors = [*form.cemetery.errors, "只能填写本区县的陵园"]
    elif form.validate_on_submit():
        posted = {f: getattr(form, f).data for f in EDITABLE}
        posted["hidden_fields"] = ",".join(form.hidden_fields.data or [])
        try:
            with archive.transaction() as session:
                changes = edit_record(session, martyr_id, posted, actor=actor())
        except RecordProblems as exc:
            for field, problem in exc.problems.items():
                target = getattr(form, field if field in EDITABLE else "name")
                target.errors = [*target.errors, f"{_PROBLEMS.get(field, '无法保存')}：{problem}"]
        else:
            flash(gettext("Record saved") if changes else gettext("Nothing changed"))
            return redirect(url_for("register_admin.edit", martyr_id=martyr_id))
    status = 400 if request.method == "POST" else 200
    documents = documents_of(archive, martyr_id, include_hidden=True)
    hidden_docs = _hidden_document_ids(martyr_id)
    return (
        render_template(
            "admin/martyr_form.html",
            form=form,
            martyr=martyr,
            documents=documents,
            hidden_docs=hidden_docs,
            document_form=DocumentForm(formdata=None),
            confirm=ConfirmForm(formdata=None),
        ),
        status,
    )


def _hidden_document_ids(martyr_id: int) -> set[int]:
    from streamkit.register.models import MartyrDocument

    with store().session() as session:
        query = select(MartyrDocument.id).where(MartyrDocument.martyr_id == martyr_id, MartyrDocument.hidden)
        return set(session.scalars(query))


@bp.post("/<id:martyr_id>/documents")
@editor_only
def add_document_view(martyr_id: int) -> str | Response | tuple[str, int]:
    archive = store()
    with archive.session() as session:
        martyr = session.get(Martyr, martyr_id)
    check_cemetery(martyr.cemetery if martyr else None)
    form = DocumentForm()
    if form.validate_on_submit():
        draft = DocumentDraft(
            form.kind.data or "", form.caption.data or "", form.source.data or "", form.transcription.data or ""
        )
        upload = form.upload.data
        suffix = Path(upload.filename or "").suffix.lower()[:8]
        with tempfile.TemporaryDirectory(prefix="streamkit-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            try:
                upload.save(path)
            finally:
                upload.close()  # a large upload is spooled to a temporary file: let it go now
            try:
                add_document(archive, martyr_id, path, draft, actor=actor())
            except ArchiveError as exc:
                form.upload.errors = [*form.upload.errors, f"无法使用这个文件：{exc}"]
            else:
                flash(gettext("Document added"))
                return redirect(url_for("register_admin.edit", martyr_id=martyr_id))
    return (
        render_template(
            "admin/martyr_form.html",
            form=RecordForm(formdata=None, data=_form_data(martyr_id)),
            martyr=martyr,
            documents=documents_of(archive, martyr_id, include_hidden=True),
            hidden_docs=_hidden_document_ids(martyr_id),
            document_form=form,
            confirm=ConfirmForm(formdata=None),
        ),
        400,
    )


def _form_data(martyr_id: int) -> dict[str, Any]:
    with store().session() as session:
        martyr = session.get(Martyr, martyr_id)
        assert martyr is not None
        values = form_values(martyr)
    return values | {"hidden_fields": values["hidden_fields"].split(",")}


@bp.post("/documents/<id:document_id>/<any(hide, show):action>")
@editor_only
def document_visibility(document_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    from streamkit.register.models import MartyrDocument

    with store().session() as session:
        document = session.get(MartyrDocument, document_id)
        owner = session.get(Martyr, document.martyr_id) if document else None
    check_cemetery(owner.cemetery if owner else None)
    try:
        martyr_id = set_document_hidden(store(), document_id, action == "hide", actor=actor())
    except ArchiveError:
        abort(404)
    flash(gettext("Document hidden") if action == "hide" else gettext("Document shown"))
    return redirect(url_for("register_admin.edit", martyr_id=martyr_id))
