"""Staff accounts: salted password hashes (werkzeug scrypt), never the password itself; roles, district; sessions.

A session names the audit record of its sign-in. It ends when the audit log shows, after that record, the user
signing out or the password being reset: every copy of the cookie ends with it, wherever it is used from. Roles,
district and deactivation are read again on every request, so a change takes effect at the next page.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from streamkit.archive.models import AuditRecord, District, Role, User, UserRole
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError

MIN_PASSWORD_LENGTH = 10
MIN_DISTINCT_CHARACTERS = 5
# Passwords that meet the length rule and are still among the first any attacker tries.
COMMON_PASSWORDS = frozenset(
    {"1234567890", "12345678910", "0123456789", "qwertyuiop", "password123", "password1234", "1q2w3e4r5t",
     "a1234567890", "woaini1314", "iloveyou123", "abcdefghij", "administrator", "qwerty123456", "1qaz2wsx3edc"}
)  # fmt: skip
# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("streamkit-dummy-password")


class UsernameTaken(ArchiveError):
    """An account with this name exists, and the caller asked for a new one."""


@dataclass(frozen=True)
class StaffAccount:
    """What a request needs to know about its signed-in user; ``district`` None means bureau staff."""

    id: int
    username: str
    roles: frozenset[Role]
    district: str | None
    cemeteries: frozenset[str]


class PasswordProblem(enum.StrEnum):
    """Why a password is refused; the CLI says it in English, the user page in the visitor's language."""

    SHORT = f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    MONOTONOUS = f"the password needs at least {MIN_DISTINCT_CHARACTERS} different characters"
    HAS_USERNAME = "the password must not contain the user name"
    COMMON = "this password is too well known; choose another"


def password_problem(username: str, password: str) -> PasswordProblem | None:
    """Why a password is too weak, or None: length, variety, not the user name, not a well-known one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem.SHORT
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return PasswordProblem.MONOTONOUS
    if username.strip() and username.strip().casefold() in password.casefold():
        return PasswordProblem.HAS_USERNAME
    if password.casefold() in COMMON_PASSWORDS:
        return PasswordProblem.COMMON
    return None


def _district_id(session: Session, slug: str | None) -> int | None:
    if not slug:
        return None
    found = session.scalar(select(District.id).where(District.slug == slug))
    if found is None:
        raise ArchiveError(f"no district {slug!r} (streamkit web district add)")
    return found


def _describe(roles: Iterable[Role], district: str | None) -> str:
    return f"roles={','.join(sorted(roles)) or '-'} district={district or 'bureau'}"


def add_user(
    store: ArchiveStore,
    username: str,
    password: str,
    *,
    roles: Iterable[Role] | None = None,
    district: str | None = None,
    actor: str = "cli",
    only_new: bool = False,
) -> User:
    """Create a staff account, or reset the password of an existing one.

    ``roles`` and ``district`` set the account's roles and district; ``roles`` None leaves an existing account's
    roles and district as they are (a password reset), and gives a new account none. ``only_new`` refuses an
    existing name instead of resetting its password (the account page creates, it never takes over).
    """
    username = username.strip()
    if not username or len(username) > 80:
        raise ArchiveError("a user name of 1 to 80 characters is required")
    problem = password_problem(username, password)
    if problem:
        raise ArchiveError(problem.value)
    with store.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        action = "user.password" if user else "user.create"
        if user is not None and only_new:
            raise UsernameTaken(f"an account named {username!r} exists already")
        if user is None:
            user = User(username=username, password_hash="")
            session.add(user)
        user.password_hash = generate_password_hash(password)
        detail = ""
        if roles is not None or action == "user.create":
            chosen = frozenset(roles or ())
            user.district_id = _district_id(session, district)
            user.role_rows = [UserRole(role=r.value) for r in sorted(chosen)]
            detail = _describe(chosen, district)
        ArchiveStore.audit(session, actor, action, f"user:{username}", detail)
    return user


def change_user(
    store: ArchiveStore, user_id: int, *, roles: Iterable[Role], district: str | None, actor: StaffAccount
) -> User:
    """Set an account's roles and district; an administrator cannot take away their own administration."""
    chosen = frozenset(roles)
    with store.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise ArchiveError("no such user")
        if user.id == actor.id and (Role.ADMINISTRATOR not in chosen or district):
            raise ArchiveError("you cannot remove your own administrator role or bureau scope")
        user.district_id = _district_id(session, district)
        user.role_rows = [UserRole(role=r.value) for r in sorted(chosen)]
        ArchiveStore.audit(session, actor.username, "user.roles", f"user:{user.username}", _describe(chosen, district))
    return user


def set_active(store: ArchiveStore, user_id: int, *, active: bool, actor: StaffAccount) -> User:
    """Deactivate (every session ends at once) or reactivate an account; nobody deactivates themselves."""
    with store.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise ArchiveError("no such user")
        if user.id == actor.id and not active:
            raise ArchiveError("you cannot deactivate your own account")
        user.active = active
        action = "user.activate" if active else "user.deactivate"
        ArchiveStore.audit(session, actor.username, action, f"user:{user.username}")
    return user


def find_user(store: ArchiveStore, user_id: int) -> User | None:
    with store.session() as session:
        return session.get(User, user_id)


def all_users(store: ArchiveStore) -> list[User]:
    with store.session() as session:
        return list(session.scalars(select(User).order_by(User.username)))


def authenticate(store: ArchiveStore, username: str, password: str) -> User | None:
    with store.session() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def session_user(store: ArchiveStore, user_id: int, sign_in: int) -> StaffAccount | None:
    """The active account of a session begun at audit record ``sign_in``; None once it has ended."""
    with store.session() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        ended = and_(
            AuditRecord.id > sign_in,
            or_(
                and_(AuditRecord.action == "logout", AuditRecord.actor == user.username),
                and_(AuditRecord.action == "user.password", AuditRecord.target == f"user:{user.username}"),
            ),
        )
        if session.scalar(select(AuditRecord.id).where(ended).limit(1)):
            return None
        district = user.district
        return StaffAccount(
            user.id,
            user.username,
            user.roles,
            district.slug if district else None,
            frozenset(district.cemetery_names) if district else frozenset(),
        )
