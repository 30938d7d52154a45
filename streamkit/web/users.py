"""Staff accounts in the admin (bureau administrators only): list, create, change roles and district, deactivate.

Only the bureau's administrators manage accounts: a district administrator who could create accounts could create
a bureau account and so see every district. Every action is in the audit log, and nobody can take away their own
administration (roles, bureau scope, or the account itself), so the site always keeps an administrator.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from streamkit.archive.models import Role, User
from streamkit.errors import ArchiveError
from streamkit.web.access import require_role, staff
from streamkit.web.accounts import UsernameTaken, add_user, all_users, change_user, find_user, set_active
from streamkit.web.admin import admin_globals
from streamkit.web.districts import all_districts
from streamkit.web.extensions import store
from streamkit.web.forms import ROLE_LABELS, ConfirmForm, NewUserForm, UserRolesForm

bp = Blueprint("users", __name__)
bp.context_processor(admin_globals)
ADMINS_ONLY = require_role(Role.ADMINISTRATOR, bureau=True)


def _districts() -> list[tuple[str, str]]:
    return [(d.slug, d.name) for d in all_districts(store())]


def _page(template: str, form: UserRolesForm, **context: object) -> tuple[str, int]:
    code = 400 if request.method == "POST" else 200
    return render_template(template, form=form, role_labels=ROLE_LABELS, **context), code


@bp.get("/")
@ADMINS_ONLY
def user_list() -> str:
    return render_template("admin/users.html", users=all_users(store()), role_labels=ROLE_LABELS, form=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@ADMINS_ONLY
def new_user() -> Response | tuple[str, int]:
    form = NewUserForm(districts=_districts())
    if form.validate_on_submit():
        try:
            add_user(
                store(),
                form.username.data or "",
                form.password.data or "",
                roles=form.chosen_roles,
                district=form.district.data or None,
                actor=staff().username,
                only_new=True,
            )
        except UsernameTaken:
            form.username.errors.append(gettext("An account with this user name exists already"))
        except ArchiveError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(gettext("Account saved"))
            return redirect(url_for("users.user_list"), 303)
    return _page("admin/user_form.html", form, user=None)


def _user(user_id: int) -> User:
    found = find_user(store(), user_id)
    if found is None:
        abort(404)
    return found


@bp.route("/<id:user_id>/edit", methods=["GET", "POST"])
@ADMINS_ONLY
def edit_user(user_id: int) -> Response | tuple[str, int]:
    user = _user(user_id)
    form = UserRolesForm(districts=_districts())
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.district.data = user.district.slug if user.district else ""
    elif form.validate_on_submit():
        district = form.district.data or None
        if user.id == staff().id and (Role.ADMINISTRATOR not in form.chosen_roles or district):
            form.roles.errors = [gettext("You cannot remove your own administrator role or bureau scope")]
        else:
            try:
                change_user(store(), user.id, roles=form.chosen_roles, district=district, actor=staff())
            except ArchiveError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(gettext("Account saved"))
                return redirect(url_for("users.user_list"), 303)
    return _page("admin/user_form.html", form, user=user)


@bp.post("/<id:user_id>/<any(activate, deactivate):action>")
@ADMINS_ONLY
def activate_user(user_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = _user(user_id)
    if user.id == staff().id and action == "deactivate":
        flash(gettext("You cannot deactivate your own account"))
    else:
        set_active(store(), user.id, active=action == "activate", actor=staff())
        flash(gettext("Account saved"))
    return redirect(url_for("users.user_list"), 303)
