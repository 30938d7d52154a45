"""Messages of remembrance (先审后发): written by anyone, screened, shown only after a moderator approves.

Every moderator decision is written to the audit log in the same transaction as the decision. The author is
never told the outcome or the words the pre-filter matched.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.models import Message, MessageStatus
from streamkit.participation.prefilter import Prefilter, Tier
from streamkit.register.models import Martyr

REJECT_REASONS = ("insult", "slander", "advertising", "personal-data", "off-topic", "other")


@dataclass(frozen=True)
class Segment:
    """A stretch of a message, flagged by the pre-filter (``tier`` and ``category``) or not."""

    text: str
    tier: str = ""
    category: str = ""


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    martyr_id: int
    martyr_name: str
    author: str
    verdict: str
    segments: tuple[Segment, ...]


def submit_message(store: ArchiveStore, martyr_id: int, author: str, body: str, prefilter: Prefilter) -> int | None:
    """Queue a message for moderation; its id, or None when the martyr is not public."""
    screening = prefilter.screen(body)
    flags = [[m.start, m.end, m.tier.value, m.category] for m in screening.matches]
    with store.transaction() as session:
        public = session.scalar(select(Martyr.id).where(Martyr.id == martyr_id, Martyr.hidden.is_(False)))
        if public is None:
            return None
        message = Message(
            martyr_id=martyr_id, author=author, body=body, verdict=screening.verdict.value, flags=json.dumps(flags)
        )
        session.add(message)
        session.flush()
        return message.id


def segments(body: str, flags: str) -> tuple[Segment, ...]:
    """The message cut at the pre-filter's matches, for highlighting (overlapping matches merge into the first)."""
    found: list[Segment] = []
    at = 0
    for start, end, tier, category in sorted(json.loads(flags)):
        if start < at:
            continue
        if start > at:
            found.append(Segment(body[at:start]))
        found.append(Segment(body[start:end], Tier(tier).value, str(category)))
        at = end
    if at < len(body):
        found.append(Segment(body[at:]))
    return tuple(found)


def pending_messages(
    store: ArchiveStore, limit: int = 50, *, cemeteries: Collection[str] | None = None
) -> list[QueuedMessage]:
    """Messages waiting for a moderator, likely rejections first, then oldest first.

    ``cemeteries`` keeps to messages about martyrs of those cemeteries (a district's queue); None: all.
    """
    query = (
        select(Message, Martyr.name)
        .join(Martyr, Martyr.id == Message.martyr_id)
        .where(Message.status == MessageStatus.PENDING.value)
        .order_by((Message.verdict == "block").desc(), Message.id)
        .limit(limit)
    )
    if cemeteries is not None:
        query = query.where(Martyr.cemetery.in_(sorted(cemeteries)))
    with store.session() as session:
        return [
            QueuedMessage(m.id, m.martyr_id, name, m.author, m.verdict, segments(m.body, m.flags))
            for m, name in session.execute(query)
        ]


def message_cemetery(store: ArchiveStore, message_id: int) -> str | None:
    """The cemetery of the martyr a message is about; None when there is no such message."""
    query = select(Martyr.cemetery).join(Message, Message.martyr_id == Martyr.id).where(Message.id == message_id)
    with store.session() as session:
        return session.scalar(query)


def decide_message(store: ArchiveStore, message_id: int, *, approve: bool, reason: str, actor: str) -> None:
    """Approve or reject a pending message (a rejection needs one of ``REJECT_REASONS``); audit-logged."""
    if not approve and reason not in REJECT_REASONS:
        raise ArchiveError(f"a rejection needs a reason: one of {', '.join(REJECT_REASONS)}")
    with store.transaction() as session:
        message = session.get(Message, message_id)
        if message is None or message.status != MessageStatus.PENDING.value:
            raise ArchiveError("this message is not waiting for review (already decided, or gone)")
        message.status = (MessageStatus.APPROVED if approve else MessageStatus.REJECTED).value
        message.reason = "" if approve else reason
        message.decided_at = utcnow()
        message.decided_by = actor
        action = "message.approve" if approve else "message.reject"
        store.audit(session, actor, action, f"message {message_id} (martyr {message.martyr_id})", message.reason)


def approved_messages(store: ArchiveStore, martyr_id: int, limit: int = 20) -> list[Message]:
    """The newest approved messages for one martyr."""
    query = (
        select(Message)
        .where(Message.martyr_id == martyr_id, Message.status == MessageStatus.APPROVED.value)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    with store.session() as session:
        return list(session.scalars(query))
