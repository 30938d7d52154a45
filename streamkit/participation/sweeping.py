"""Proxy tomb-sweeping for families (代为祭扫): the request, the work order and the family's private link.

A request is sealed (``participation.sealed``) before it is stored; the work order goes requested → scheduled →
done, or cancelled, and done needs the "四个一" checklist ticked and a photo set that passed the photo checks. Each
change is audit-logged in its transaction with the order's number and status only, never a personal field. The
family's link carries a random token whose SHA-256 alone is stored; a new link kills the old one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streamkit.archive.models import ArchiveEntry, utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.family_models import CHECKLIST, ProxySweep, SweepPhoto, SweepStatus
from streamkit.participation.sealed import Sealer
from streamkit.register.models import Martyr

MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]")
OPEN = (SweepStatus.REQUESTED.value, SweepStatus.SCHEDULED.value)


def normalise_phone(text: str) -> str | None:
    """A mainland mobile number as 11 digits (``+86``/``0086``, spaces, dashes and full-width digits allowed); None
    when it is not one."""
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086"):
        if plain.startswith(prefix):
            plain = plain[len(prefix) :]
            break
    return plain if MOBILE.fullmatch(plain) else None


_MENTIONED = re.compile(r"(?:\+86|0086|(?<!\d))(1[3-9]\d{9})(?!\d)")


def phones_in(text: str) -> set[str]:
    """The mainland mobile numbers a free-text contact mentions, normalised as ``normalise_phone`` does them.

    A claim's contact is free text ("139 8765 0123，微信同号"); whatever ``normalise_phone`` accepts is found here too.
    """
    return set(_MENTIONED.findall(_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))))


@dataclass(frozen=True, repr=False)
class SweepRequest:
    """What a family asks for; ``repr`` never shows the personal fields."""

    name: str
    relation: str
    phone: str
    preferred_date: date
    wishes: str = ""

    def __repr__(self) -> str:
        return f"SweepRequest(preferred_date={self.preferred_date})"

    def personal(self) -> dict[str, str]:
        return {"name": self.name, "relation": self.relation, "phone": self.phone, "wishes": self.wishes}


@dataclass(frozen=True, repr=False)
class SweepView:
    """A work order for staff: the order, its opened personal fields (empty once erased) and its photos."""

    order: ProxySweep
    martyr_name: str
    personal: dict[str, str]
    photos: tuple[SweepPhoto, ...]
    entry: ArchiveEntry | None


def _audit(session: Session, actor: str, action: str, sweep: ProxySweep, detail: str = "") -> None:
    ArchiveStore.audit(session, actor, action, f"sweep:{sweep.id} (martyr {sweep.martyr_id})", detail)


def submit_sweep(store: ArchiveStore, sealer: Sealer, martyr_id: int, request: SweepRequest) -> int | None:
    """Store a request sealed; its number, or None when the martyr is not public."""
    sealed = sealer.seal(request.personal())
    with store.transaction() as session:
        public = session.scalar(select(Martyr.id).where(Martyr.id == martyr_id, Martyr.hidden.is_(False)))
        if public is None:
            return None
        order = ProxySweep(martyr_id=martyr_id, sealed=sealed, preferred_date=request.preferred_date)
        session.add(order)
        session.flush()
        _audit(session, "public", "sweep.request", order)
        return order.id


def sweep_orders(
    store: ArchiveStore, status: str = "", limit: int = 200, *, cemeteries: frozenset[str] | None = None
) -> list[tuple[ProxySweep, str]]:
    """Work orders with the martyr's name, open ones first then newest (only ``cemeteries``' when given); no
    personal field is opened."""
    query = select(ProxySweep, Martyr.name).join(Martyr, Martyr.id == ProxySweep.martyr_id)
    if cemeteries is not None:
        query = query.where(Martyr.cemetery.in_(cemeteries))
    if status:
        query = query.where(ProxySweep.status == status)
    query = query.order_by(ProxySweep.status.in_(OPEN).desc(), ProxySweep.id.desc()).limit(limit)
    with store.session() as session:
        return [(order, name) for order, name in session.execute(query)]


def sweep_view(store: ArchiveStore, sealer: Sealer | None, sweep_id: int) -> SweepView | None:
    """An order for staff; without a sealer (no key configured) its personal fields stay closed (empty)."""
    with store.session() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None:
            return None
        martyr = session.get(Martyr, order.martyr_id)
        photos = tuple(
            session.scalars(select(SweepPhoto).where(SweepPhoto.sweep_id == sweep_id).order_by(SweepPhoto.id))
        )
        entry = session.get(ArchiveEntry, order.entry_id) if order.entry_id else None
        personal = sealer.open(order.sealed) if sealer is not None else {}
        return SweepView(order, martyr.name if martyr else "", personal, photos, entry)


def _open_order(session: Session, sweep_id: int) -> ProxySweep:
    order = session.get(ProxySweep, sweep_id)
    if order is None:
        raise ArchiveError("no such work order")
    if order.status not in OPEN:
        raise ArchiveError("this work order is closed (done or cancelled)")
    return order


def schedule_sweep(store: ArchiveStore, sweep_id: int, day: date, *, actor: str) -> None:
    with store.transaction() as session:
        order = _open_order(session, sweep_id)
        order.scheduled_for = day
        order.status = SweepStatus.SCHEDULED.value
        _audit(session, actor, "sweep.schedule", order, day.isoformat())


def set_checklist(store: ArchiveStore, sweep_id: int, ticked: set[str], *, actor: str) -> None:
    """Tick the "四个一" items in ``ticked`` and untick the others."""
    with store.transaction() as session:
        order = _open_order(session, sweep_id)
        for item in CHECKLIST:
            setattr(order, item, item in ticked)
        _audit(session, actor, "sweep.checklist", order, ",".join(i for i in CHECKLIST if i in ticked))


def choose_video(store: ArchiveStore, sweep_id: int, entry_id: int | None, *, actor: str) -> None:
    """Attach an archive entry (a recording of the sweep) as the video, or none."""
    with store.transaction() as session:
        order = _open_order(session, sweep_id)
        if entry_id is not None and session.get(ArchiveEntry, entry_id) is None:
            raise ArchiveError("no archive entry with that number")
        order.entry_id = entry_id
        _audit(session, actor, "sweep.video", order, f"archive:{entry_id}" if entry_id else "none")


def finish_sweep(store: ArchiveStore, sweep_id: int, *, actor: str, photo_set_min: int) -> None:
    """Mark done: every checklist item ticked and at least ``photo_set_min`` photos that passed the checks."""
    with store.transaction() as session:
        order = _open_order(session, sweep_id)
        missing = [item for item in CHECKLIST if not getattr(order, item)]
        if missing:
            raise ArchiveError("the checklist is not complete: " + ", ".join(missing))
        count = session.scalar(select(func.count(SweepPhoto.id)).where(SweepPhoto.sweep_id == sweep_id)) or 0
        if count < photo_set_min:
            raise ArchiveError(f"the photo set needs at least {photo_set_min} photos that passed the checks ({count})")
        order.status = SweepStatus.DONE.value
        order.closed_at = utcnow()
        _audit(session, actor, "sweep.done", order, f"{count} photos")


def cancel_sweep(store: ArchiveStore, sweep_id: int, *, actor: str) -> None:
    with store.transaction() as session:
        order = _open_order(session, sweep_id)
        order.status = SweepStatus.CANCELLED.value
        order.closed_at = utcnow()
        order.link_hash = None
        _audit(session, actor, "sweep.cancel", order)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(store: ArchiveStore, sweep_id: int, *, actor: str, days: int, now: datetime | None = None) -> str:
    """A new token for the family's page of a done order (the previous one stops working); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with store.transaction() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None or order.status != SweepStatus.DONE.value or order.erased_at is not None:
            raise ArchiveError("a link is sent only for a done work order whose data was not erased")
        order.link_hash = token_hash(token)
        order.link_expires_at = (now or utcnow()) + timedelta(days=days)
        _audit(session, actor, "sweep.link", order, f"expires {order.link_expires_at:%Y-%m-%d}")
    return token


def revoke_link(store: ArchiveStore, sweep_id: int, *, actor: str) -> None:
    with store.transaction() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None:
            raise ArchiveError("no such work order")
        order.link_hash = None
        _audit(session, actor, "sweep.link.revoke", order)


@dataclass(frozen=True)
class FamilyPage:
    """What the family's private page shows: the martyr, the day, the photos and the video; no personal field."""

    sweep_id: int
    martyr_id: int
    martyr_name: str
    done_on: date | None
    photos: tuple[SweepPhoto, ...]
    entry: ArchiveEntry | None
    video: str = ""  # an uploaded clip under the private folder; shown instead of the archive entry


def family_page(store: ArchiveStore, token: str, now: datetime | None = None) -> FamilyPage | None:
    """The page a token opens; None for a wrong, expired or revoked token alike."""
    if not token or len(token) > 100:
        return None
    with store.session() as session:
        order = session.scalar(select(ProxySweep).where(ProxySweep.link_hash == token_hash(token)))
        if order is None or order.link_expires_at is None or order.link_expires_at <= (now or utcnow()):
            return None
        if order.status != SweepStatus.DONE.value:
            return None
        martyr = session.get(Martyr, order.martyr_id)
        photos = tuple(
            session.scalars(select(SweepPhoto).where(SweepPhoto.sweep_id == order.id).order_by(SweepPhoto.id))
        )
        entry = session.get(ArchiveEntry, order.entry_id) if order.entry_id else None
        done_on = order.closed_at.date() if order.closed_at else None
        name = martyr.name if martyr else ""
        return FamilyPage(order.id, order.martyr_id, name, done_on, photos, entry, order.video)


def export_sweep(store: ArchiveStore, sealer: Sealer, sweep_id: int, *, actor: str) -> dict[str, object]:
    """Everything kept about one family's request, as JSON-ready data (the staff export on request)."""
    with store.transaction() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None:
            raise ArchiveError("no such work order")
        return export_order(session, sealer, order, actor=actor)


def export_order(session: Session, sealer: Sealer, order: ProxySweep, *, actor: str) -> dict[str, object]:
    """One order's export, audit-logged (``sweep.export``) in the caller's transaction."""
    _audit(session, actor, "sweep.export", order)
    photos = session.scalars(select(SweepPhoto.derivative).where(SweepPhoto.sweep_id == order.id))
    return {
        "work_order": order.id,
        "martyr_id": order.martyr_id,
        "status": order.status,
        "personal_data": sealer.open(order.sealed),
        "preferred_date": order.preferred_date.isoformat(),
        "scheduled_for": order.scheduled_for.isoformat() if order.scheduled_for else None,
        "checklist": {item: getattr(order, item) for item in CHECKLIST},
        "photos": list(photos),
        "video": order.video or (f"archive:{order.entry_id}" if order.entry_id else None),
        "consent_at": order.consent_at.isoformat(),
        "created_at": order.created_at.isoformat(),
        "closed_at": order.closed_at.isoformat() if order.closed_at else None,
        "erased_at": order.erased_at.isoformat() if order.erased_at else None,
    }


def erase_sweep(store: ArchiveStore, sweep_id: int, *, actor: str, reason: str = "request") -> None:
    """Erase the family's personal data and kill its link; the order stays (without them) for the counts."""
    with store.transaction() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None:
            raise ArchiveError("no such work order")
        erase_order(session, order, actor=actor, reason=reason)


def erase_order(session: Session, order: ProxySweep, *, actor: str, reason: str) -> None:
    """Empty one order's sealed data and kill its link, audit-logged (``sweep.erase``) in the caller's transaction."""
    order.sealed = ""
    order.link_hash = None
    order.erased_at = order.erased_at or utcnow()
    _audit(session, actor, "sweep.erase", order, reason)
