"""One family's data across all its requests and claims, found by mobile number: listed, exported, erased.

Nothing personal is stored in clear, so there is no index to look a number up in: the finder opens every sealed
request and claim the caller may see (a district's staff: their cemeteries' only, chosen in SQL before anything is
opened) and keeps those whose phone, or a number in a claim's free-text contact, is the one asked for, and whose
name matches too when one is given. At a few thousand rows this takes well under a second
(docs/decisions-participation.md). Export and erase find and act in one transaction, with one audit record per
record (its number, never the phone).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.family_models import ProxySweep, RelativeClaim
from streamkit.participation.relatives import erase_claim_data, export_claim_data
from streamkit.participation.sealed import Sealer, SealError
from streamkit.participation.sweeping import erase_order, export_order, normalise_phone, phones_in
from streamkit.register.models import Martyr

EXPORT_VERSION = 1
BAD_NUMBER = "not a mainland mobile number (11 digits; +86, spaces, dashes and full-width digits are fine)"


@dataclass(frozen=True, repr=False)
class FamilyQuery:
    """Whose data: a normalised mobile number and, to tell apart people sharing one phone, optionally a name."""

    phone: str
    name: str = ""

    def __repr__(self) -> str:
        return "FamilyQuery(<hidden>)"


def family_query(phone: str, name: str = "") -> FamilyQuery:
    """The query for a number as typed (normalised as the forms do it); ArchiveError when it is not a mobile number."""
    normalised = normalise_phone(phone)
    if normalised is None:
        raise ArchiveError(BAD_NUMBER)
    return FamilyQuery(normalised, name.strip())


@dataclass(frozen=True)
class FamilyRecord:
    """One request or claim of the family, as staff lists show it: numbers, martyr, dates, status; nothing personal."""

    kind: str  # "sweep" or "claim"
    number: int
    martyr_id: int
    martyr_name: str
    status: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class FamilyRecords:
    """What was found; ``unreadable`` counts sealed rows none of the keys opens (they might be the family's too)."""

    records: tuple[FamilyRecord, ...]
    unreadable: int = 0

    @property
    def sweeps(self) -> list[FamilyRecord]:
        return [r for r in self.records if r.kind == "sweep"]

    @property
    def claims(self) -> list[FamilyRecord]:
        return [r for r in self.records if r.kind == "claim"]

    def summary(self) -> str:
        found = f"{len(self.sweeps)} proxy sweeping requests and {len(self.claims)} relatives' claims"
        return found + (f" ({self.unreadable} records could not be opened with the keys)" if self.unreadable else "")


@dataclass(frozen=True)
class FamilyExport:
    data: dict[str, object]  # JSON-ready, versioned
    found: FamilyRecords


def _plain_name(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _holds(personal: dict[str, str], field: str, query: FamilyQuery) -> bool:
    if query.phone not in phones_in(personal.get(field, "")):
        return False
    return not query.name or _plain_name(personal.get("name", "")) == _plain_name(query.name)


@dataclass(frozen=True)
class _Matches:
    sweeps: list[tuple[ProxySweep, str]]
    claims: list[tuple[RelativeClaim, str]]
    unreadable: int

    def records(self) -> FamilyRecords:
        sweeps = [
            FamilyRecord("sweep", o.id, o.martyr_id, name, o.status, o.created_at, o.closed_at)
            for o, name in self.sweeps
        ]
        claims = [
            FamilyRecord("claim", c.id, c.martyr_id, name, c.status, c.created_at, c.closed_at)
            for c, name in self.claims
        ]
        return FamilyRecords((*sweeps, *claims), self.unreadable)


def _matches(
    session: Session, sealer: Sealer, query: FamilyQuery, cemeteries: frozenset[str] | None, *, lock: bool
) -> _Matches:
    sweeps_query = select(ProxySweep, Martyr.name).join(Martyr, Martyr.id == ProxySweep.martyr_id)
    sweeps_query = sweeps_query.where(ProxySweep.sealed != "").order_by(ProxySweep.id)
    claims_query = select(RelativeClaim, Martyr.name).join(Martyr, Martyr.id == RelativeClaim.martyr_id)
    claims_query = claims_query.where(RelativeClaim.sealed != "").order_by(RelativeClaim.id)
    if cemeteries is not None:
        sweeps_query = sweeps_query.where(Martyr.cemetery.in_(cemeteries))
        claims_query = claims_query.where(Martyr.cemetery.in_(cemeteries))
    if lock:  # a follow-up note written meanwhile must not seal the data again after the erase
        sweeps_query = sweeps_query.with_for_update(of=ProxySweep)
        claims_query = claims_query.with_for_update(of=RelativeClaim)
    unreadable = 0
    sweeps: list[tuple[ProxySweep, str]] = []
    for order, name in session.execute(sweeps_query):
        try:
            if _holds(sealer.open(order.sealed), "phone", query):
                sweeps.append((order, name))
        except SealError:
            unreadable += 1
    claims: list[tuple[RelativeClaim, str]] = []
    for claim, name in session.execute(claims_query):
        try:
            if _holds(sealer.open(claim.sealed), "contact", query):
                claims.append((claim, name))
        except SealError:
            unreadable += 1
    return _Matches(sweeps, claims, unreadable)


def find_family(
    store: ArchiveStore, sealer: Sealer, query: FamilyQuery, *, cemeteries: frozenset[str] | None = None
) -> FamilyRecords:
    """The requests and claims holding the number (only ``cemeteries``' when given); erased ones hold nothing."""
    with store.session() as session:
        return _matches(session, sealer, query, cemeteries, lock=False).records()


def export_family(
    store: ArchiveStore,
    sealer: Sealer,
    query: FamilyQuery,
    *,
    actor: str,
    cemeteries: frozenset[str] | None = None,
    now: datetime | None = None,
) -> FamilyExport:
    """Everything kept about the family's requests and claims, as one JSON-ready document; audit-logged per record."""
    with store.transaction() as session:
        found = _matches(session, sealer, query, cemeteries, lock=False)
        data: dict[str, object] = {
            "version": EXPORT_VERSION,
            "exported_at": (now or utcnow()).isoformat(),
            "proxy_sweeps": [export_order(session, sealer, o, actor=actor) for o, _ in found.sweeps],
            "relatives_claims": [export_claim_data(session, sealer, c, actor=actor) for c, _ in found.claims],
        }
        return FamilyExport(data, found.records())


def erase_family(
    store: ArchiveStore, sealer: Sealer, query: FamilyQuery, *, actor: str, cemeteries: frozenset[str] | None = None
) -> FamilyRecords:
    """Erase the personal data of every request and claim holding the number, as the one-record erase does; what
    was erased."""
    with store.transaction() as session:
        found = _matches(session, sealer, query, cemeteries, lock=True)
        for order, _ in found.sweeps:
            erase_order(session, order, actor=actor, reason="family request")
        for claim, _ in found.claims:
            erase_claim_data(session, claim, actor=actor, reason="family request")
        return found.records()
