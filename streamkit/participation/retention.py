"""Retention of families' personal data: erase what is past ``participation.retention_days`` and rotate keys.

Run from cron or a systemd timer (``streamkit participation purge``, docs/participation.md): a request counts from
the day it was done or cancelled, a claim from the day it was verified or found not related; open ones are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.participation.family_models import CLOSED_CLAIMS, ProxySweep, RelativeClaim, SweepStatus
from streamkit.participation.sealed import Sealer


@dataclass(frozen=True)
class PurgeReport:
    sweeps: int
    claims: int

    def summary(self) -> str:
        return f"erased the contact data of {self.sweeps} proxy sweeping requests and {self.claims} relatives' claims"


def purge(store: ArchiveStore, retention_days: int, *, now: datetime | None = None) -> PurgeReport:
    """Erase the personal data of closed requests and claims older than the retention period, in one transaction."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    closed = (SweepStatus.DONE.value, SweepStatus.CANCELLED.value)
    with store.transaction() as session:
        sweeps = session.scalars(
            select(ProxySweep).where(
                ProxySweep.status.in_(closed), ProxySweep.closed_at < cutoff, ProxySweep.erased_at.is_(None)
            )
        ).all()
        for order in sweeps:
            order.sealed, order.link_hash, order.erased_at = "", None, utcnow()
        claims = session.scalars(
            select(RelativeClaim).where(
                RelativeClaim.status.in_(CLOSED_CLAIMS),
                RelativeClaim.closed_at < cutoff,
                RelativeClaim.erased_at.is_(None),
            )
        ).all()
        for claim in claims:
            claim.sealed, claim.erased_at = "", utcnow()
        report = PurgeReport(len(sweeps), len(claims))
        ArchiveStore.audit(
            session, "retention", "personal.purge", "", f"{report.sweeps} sweeps, {report.claims} claims"
        )
    return report


def reseal_all(store: ArchiveStore, sealer: Sealer) -> int:
    """Seal every stored value again under the first key, so an old key can be removed; how many were resealed."""
    count = 0
    with store.transaction() as session:
        rows: list[ProxySweep | RelativeClaim] = [
            *session.scalars(select(ProxySweep).where(ProxySweep.sealed != "")),
            *session.scalars(select(RelativeClaim).where(RelativeClaim.sealed != "")),
        ]
        for row in rows:
            row.sealed = sealer.reseal(row.sealed)
            count += 1
        ArchiveStore.audit(session, "retention", "personal.reseal", "", f"{count} records")
    return count
