"""The search for relatives (寻亲, 为烈士找亲人): records staff mark, the public list, and claims sealed for staff.

The public list shows only what the register already shows publicly (withheld fields stay blank) plus the staff's
note; once staff mark the family found, the record leaves the list and its claim form closes. Claims are sealed
like proxy requests (``participation.sealed``), staff notes included, since a note names the people it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.family_models import CLOSED_CLAIMS, ClaimStatus, RelativeClaim, RelativeSearch
from streamkit.participation.sealed import Sealer
from streamkit.register.models import Martyr
from streamkit.register.public import public_fields


@dataclass(frozen=True)
class SoughtRecord:
    """One line of the public list: the record's public facts and the staff's note."""

    martyr_id: int
    name: str
    native_place: str
    unit: str
    place_of_death: str
    note: str


@dataclass(frozen=True, repr=False)
class ClaimView:
    claim: RelativeClaim
    martyr_name: str
    personal: dict[str, str]


def mark_sought(store: ArchiveStore, martyr_id: int, note: str, *, actor: str) -> None:
    """Mark a record as one whose relatives are sought (again, if they had been found), with a public note."""
    with store.transaction() as session:
        if session.get(Martyr, martyr_id) is None:
            raise ArchiveError("no register record with that number")
        search = session.get(RelativeSearch, martyr_id)
        if search is None:
            session.add(RelativeSearch(martyr_id=martyr_id, note=note))
        else:
            search.note, search.found_at = note, None
        ArchiveStore.audit(session, actor, "relatives.seek", f"martyr:{martyr_id}")


def _search(session: Session, martyr_id: int) -> RelativeSearch:
    search = session.get(RelativeSearch, martyr_id)
    if search is None:
        raise ArchiveError("this record is not marked as seeking relatives")
    return search


def mark_found(store: ArchiveStore, martyr_id: int, *, actor: str) -> None:
    with store.transaction() as session:
        _search(session, martyr_id).found_at = utcnow()
        ArchiveStore.audit(session, actor, "relatives.found", f"martyr:{martyr_id}")


def unmark(store: ArchiveStore, martyr_id: int, *, actor: str) -> None:
    with store.transaction() as session:
        session.delete(_search(session, martyr_id))
        ArchiveStore.audit(session, actor, "relatives.unmark", f"martyr:{martyr_id}")


def sought_records(store: ArchiveStore, *, limit: int, offset: int = 0) -> list[SoughtRecord]:
    """Public records whose relatives are still sought, by name; withheld fields blank."""
    query = (
        select(Martyr, RelativeSearch.note)
        .join(RelativeSearch, RelativeSearch.martyr_id == Martyr.id)
        .where(RelativeSearch.found_at.is_(None), Martyr.hidden.is_(False))
        .order_by(Martyr.name, Martyr.id)
        .limit(limit)
        .offset(offset)
    )
    with store.session() as session:
        found = []
        for martyr, note in session.execute(query):
            shown = public_fields(martyr, even_hidden=True)
            found.append(
                SoughtRecord(
                    martyr.id, shown["name"], shown["native_place"], shown["unit"], shown["place_of_death"], note
                )
            )
        return found


def open_search(store: ArchiveStore, martyr_id: int) -> SoughtRecord | None:
    """The record if its relatives are sought and it is public; None otherwise (the claim form is closed)."""
    with store.session() as session:
        row = session.execute(
            select(Martyr, RelativeSearch.note)
            .join(RelativeSearch, RelativeSearch.martyr_id == Martyr.id)
            .where(Martyr.id == martyr_id, RelativeSearch.found_at.is_(None), Martyr.hidden.is_(False))
        ).first()
    if row is None:
        return None
    martyr, note = row
    shown = public_fields(martyr, even_hidden=True)
    return SoughtRecord(martyr.id, shown["name"], shown["native_place"], shown["unit"], shown["place_of_death"], note)


def all_searches(store: ArchiveStore, *, cemeteries: frozenset[str] | None = None) -> list[tuple[RelativeSearch, str]]:
    with store.session() as session:
        query = select(RelativeSearch, Martyr.name).join(Martyr, Martyr.id == RelativeSearch.martyr_id)
        if cemeteries is not None:
            query = query.where(Martyr.cemetery.in_(cemeteries))
        return [
            (s, name) for s, name in session.execute(query.order_by(RelativeSearch.found_at.is_not(None), Martyr.name))
        ]


def submit_claim(
    store: ArchiveStore, sealer: Sealer, martyr_id: int, *, name: str, contact: str, knowledge: str
) -> int | None:
    """Store a claim sealed; its number, or None when the record is not (or no longer) sought."""
    sealed = sealer.seal({"name": name, "contact": contact, "knowledge": knowledge, "notes": ""})
    with store.transaction() as session:
        open_ = session.scalar(
            select(RelativeSearch.martyr_id)
            .join(Martyr, Martyr.id == RelativeSearch.martyr_id)
            .where(RelativeSearch.martyr_id == martyr_id, RelativeSearch.found_at.is_(None), Martyr.hidden.is_(False))
        )
        if open_ is None:
            return None
        claim = RelativeClaim(martyr_id=martyr_id, sealed=sealed)
        session.add(claim)
        session.flush()
        ArchiveStore.audit(session, "public", "claim.submit", f"claim:{claim.id} (martyr {martyr_id})")
        return claim.id


def claims(
    store: ArchiveStore, limit: int = 200, *, cemeteries: frozenset[str] | None = None
) -> list[tuple[RelativeClaim, str]]:
    """Claims with the martyr's name, open ones first (only ``cemeteries``' when given); nothing is opened."""
    query = select(RelativeClaim, Martyr.name).join(Martyr, Martyr.id == RelativeClaim.martyr_id)
    if cemeteries is not None:
        query = query.where(Martyr.cemetery.in_(cemeteries))
    query = query.order_by(RelativeClaim.status.in_(CLOSED_CLAIMS), RelativeClaim.id.desc()).limit(limit)
    with store.session() as session:
        return [(c, name) for c, name in session.execute(query)]


def claim_view(store: ArchiveStore, sealer: Sealer | None, claim_id: int) -> ClaimView | None:
    """A claim for staff; without a sealer (no key configured) its personal fields stay closed (empty)."""
    with store.session() as session:
        claim = session.get(RelativeClaim, claim_id)
        if claim is None:
            return None
        martyr = session.get(Martyr, claim.martyr_id)
        return ClaimView(claim, martyr.name if martyr else "", sealer.open(claim.sealed) if sealer else {})


def follow_up(store: ArchiveStore, sealer: Sealer, claim_id: int, status: str, note: str, *, actor: str) -> None:
    """Set a claim's status and add a staff note (sealed with the claim); audit-logged without the note."""
    if status not in {s.value for s in ClaimStatus}:
        raise ArchiveError("unknown status")
    with store.transaction() as session:
        claim = session.get(RelativeClaim, claim_id)
        if claim is None:
            raise ArchiveError("no such claim")
        if claim.erased_at is not None and note:
            raise ArchiveError("this claim's data was erased; notes cannot be added")
        if note:
            personal = sealer.open(claim.sealed)
            stamp = f"{utcnow():%Y-%m-%d %H:%M} {actor}: {note}"
            personal["notes"] = "\n".join(filter(None, [personal.get("notes", ""), stamp]))
            claim.sealed = sealer.seal(personal)
        claim.status = status
        claim.closed_at = utcnow() if status in CLOSED_CLAIMS else None
        ArchiveStore.audit(session, actor, "claim.status", f"claim:{claim_id} (martyr {claim.martyr_id})", status)


def erase_claim(store: ArchiveStore, claim_id: int, *, actor: str, reason: str = "request") -> None:
    with store.transaction() as session:
        claim = session.get(RelativeClaim, claim_id)
        if claim is None:
            raise ArchiveError("no such claim")
        erase_claim_data(session, claim, actor=actor, reason=reason)


def erase_claim_data(session: Session, claim: RelativeClaim, *, actor: str, reason: str) -> None:
    """Empty one claim's sealed data, audit-logged (``claim.erase``) in the caller's transaction."""
    claim.sealed = ""
    claim.erased_at = claim.erased_at or utcnow()
    ArchiveStore.audit(session, actor, "claim.erase", f"claim:{claim.id} (martyr {claim.martyr_id})", reason)


def export_claim_data(session: Session, sealer: Sealer, claim: RelativeClaim, *, actor: str) -> dict[str, object]:
    """Everything kept about one claim, staff notes included, audit-logged (``claim.export``)."""
    ArchiveStore.audit(session, actor, "claim.export", f"claim:{claim.id} (martyr {claim.martyr_id})")
    return {
        "claim": claim.id,
        "martyr_id": claim.martyr_id,
        "status": claim.status,
        "personal_data": sealer.open(claim.sealed),
        "consent_at": claim.consent_at.isoformat(),
        "created_at": claim.created_at.isoformat(),
        "closed_at": claim.closed_at.isoformat() if claim.closed_at else None,
        "erased_at": claim.erased_at.isoformat() if claim.erased_at else None,
    }
