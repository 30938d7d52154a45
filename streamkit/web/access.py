"""Who may open which admin page: roles per route, and a district's staff kept to their district's records.

Every admin view carries one decorator line, ``@require_role(Role.X)``: a visitor who is not signed in goes to the
sign-in page, a signed-in user without the role gets the 403 page. A view that loads one record (a martyr, an
order, an entry…) then calls ``check_cemetery(record.cemetery)`` once: for a district's staff a record of another
district is a 404, exactly as if it did not exist. Lists filter with ``visible_cemeteries()`` (None: bureau, all).

An administrator passes every role check: they can grant themselves any role, so keeping them out would protect
nothing and only add a step, and every change they make is in the audit log either way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app
from flask_login import UserMixin, current_user

from streamkit.archive.models import Role
from streamkit.web.accounts import StaffAccount

View = TypeVar("View", bound=Callable[..., Any])


class StaffUser(UserMixin):
    """A signed-in staff user; ``sign_in`` is the audit record of the sign-in the cookie was issued at."""

    def __init__(self, account: StaffAccount, sign_in: int) -> None:
        self.account = account
        self.id = account.id
        self.username = account.username
        self.sign_in = sign_in

    def get_id(self) -> str:
        return f"{self.id}:{self.sign_in}"


def staff() -> StaffAccount:
    """The signed-in account (only inside a view guarded by ``require_role``)."""
    return cast(StaffUser, current_user).account


def holds(account: StaffAccount, roles: tuple[Role, ...], *, bureau: bool = False) -> bool:
    """Whether ``account`` may open a page that needs any one of ``roles`` (none: any staff) and, if asked, bureau."""
    if bureau and account.district is not None:
        return False
    return not roles or Role.ADMINISTRATOR in account.roles or bool(account.roles & set(roles))


def require_role(*roles: Role, bureau: bool = False) -> Callable[[View], View]:
    """Guard a view: sign-in first, then any one of ``roles``; ``bureau=True`` also refuses district staff."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not holds(staff(), roles, bureau=bureau):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_roles = roles  # type: ignore[attr-defined]  # read by the route walk test and docs
        return cast(View, guarded)

    return decorate


def staff_district() -> str | None:
    """The signed-in user's district slug; None for bureau staff, who see every district."""
    return staff().district


def visible_cemeteries() -> frozenset[str] | None:
    """The cemeteries whose records the signed-in user may see and change; None means all (bureau)."""
    account = staff()
    return None if account.district is None else account.cemeteries


def may_see(cemetery: str) -> bool:
    visible = visible_cemeteries()
    return visible is None or cemetery in visible


def check_cemetery(cemetery: str | None) -> None:
    """Stop with 404 unless the signed-in user may see a record of ``cemetery`` (None: the record is missing).

    404, not 403: a district's staff learn nothing about whether another district's record exists.
    """
    if cemetery is None or not may_see(cemetery):
        abort(404)
