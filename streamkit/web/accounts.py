"""Staff accounts: salted password hashes (werkzeug scrypt), never the password itself; which sessions still hold.

A session names the audit record of its sign-in. It ends when the audit log shows, after that record, the user
signing out or the password being reset: every copy of the cookie ends with it, wherever it is used from.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from streamkit.archive.models import AuditRecord, User
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError

MIN_PASSWORD_LENGTH = 10
# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("streamkit-dummy-password")


def add_user(store: ArchiveStore, username: str, password: str, *, actor: str = "cli") -> User:
    """Create a staff account, or reset the password of an existing one."""
    username = username.strip()
    if not username or len(username) > 80:
        raise ArchiveError("a user name of 1 to 80 characters is required")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ArchiveError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with store.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        action = "user.password" if user else "user.create"
        if user is None:
            user = User(username=username, password_hash="")
            session.add(user)
        user.password_hash = generate_password_hash(password)
        ArchiveStore.audit(session, actor, action, f"user:{username}")
    return user


def authenticate(store: ArchiveStore, username: str, password: str) -> User | None:
    with store.session() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def session_user(store: ArchiveStore, user_id: int, sign_in: int) -> User | None:
    """The active user of a session begun at audit record ``sign_in``; None once it has ended."""
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
        return None if session.scalar(select(AuditRecord.id).where(ended).limit(1)) else user
