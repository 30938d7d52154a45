"""A campaign's figures on a given day: per district and quota the count, target, pace and status, the bureau's
roll-up, and the daily series for the chart, each figure with the rows it counts.

``district`` is one district's name, several names (the ones a person may see), or ``None`` for every district.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.kinds import KINDS, CountedRow, Scope
from streamkit.campaigns.spec import Campaign, District, Quota
from streamkit.campaigns.status import Status, expected_by, quota_status
from streamkit.errors import ConfigError

# State kinds (every tomb photographed) count whatever exists by the deadline: the survey may predate the campaign.
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class QuotaFigure:
    """One quota in one district: the count, its target, what the pace asks by today, and the rows counted."""

    quota: Quota
    district: str
    count: int
    target: int
    expected: int
    status: Status
    rows: tuple[CountedRow, ...]


@dataclass(frozen=True)
class RollUp:
    """One quota across the districts shown: totals, and how many districts met it or are late."""

    quota: Quota
    count: int
    target: int
    met: int
    late: int
    districts: int

    @property
    def status(self) -> Status:
        if self.met == self.districts:
            return Status.MET
        return Status.LATE if self.late else Status.ON_TRACK


@dataclass(frozen=True)
class Figures:
    campaign: Campaign
    today: date
    districts: tuple[str, ...]
    by_district: dict[str, tuple[QuotaFigure, ...]]
    roll_up: tuple[RollUp, ...]
    days: tuple[date, ...]  # the campaign's days so far, for the chart
    chart_rows: dict[str, tuple[CountedRow, ...]]  # chart kind -> the rows it draws

    @property
    def daily(self) -> dict[str, tuple[int, ...]]:
        """Chart kind -> items per day of ``days``, across the districts shown."""
        out = {}
        for name, rows in self.chart_rows.items():
            per_day = Counter(row.day for row in rows)
            out[name] = tuple(per_day[d] for d in self.days)
        return out

    def chart_total(self, name: str, district: str | None = None) -> int:
        """How many items of a chart kind the campaign has so far, in one district or all shown."""
        return sum(1 for row in self.chart_rows[name] if district is None or row.district == district)

    def rows(self) -> list[CountedRow]:
        """Every row behind a figure (the quotas' and the chart's), each once, in day, kind, id order."""
        quota_rows = {row for figures in self.by_district.values() for f in figures for row in f.rows}
        return sorted(quota_rows.union(*self.chart_rows.values()))

    def figure(self, district: str, quota_id: str) -> QuotaFigure:
        return next(f for f in self.by_district[district] if f.quota.id == quota_id)


Districts = str | Sequence[str] | None


def pick_districts(campaign: Campaign, district: Districts) -> tuple[District, ...]:
    """The districts to count, in the spec's order: one by name, several, or all (``None``); an unknown name is one
    clear error."""
    if district is None:
        return campaign.districts
    wanted = [district] if isinstance(district, str) else list(district)
    for name in wanted:
        if campaign.district(name) is None:
            known = ", ".join(d.name for d in campaign.districts)
            raise ConfigError.single(campaign.slug, f"no district {name!r} in this campaign (known: {known})")
    return tuple(d for d in campaign.districts if d.name in wanted)


def _scope(campaign: Campaign, districts: Iterable[District], first: date, last: date) -> Scope:
    chosen = tuple(districts)
    cemeteries = {c: d.name for d in chosen for c in d.cemeteries}
    return Scope(campaign.slug, cemeteries, tuple(d.name for d in chosen), first, last, campaign.zone)


def counted_rows(
    store: ArchiveStore, campaign: Campaign, quota: Quota, today: date, district: Districts = None
) -> list[CountedRow]:
    """The rows a quota counts by ``today`` (never after its deadline), in day, kind, id order."""
    chosen = pick_districts(campaign, district)
    rows: list[CountedRow] = []
    with store.session() as session:
        for name in quota.kinds:
            kind = KINDS[name]
            first = campaign.window.start if kind.from_start else EARLIEST
            rows += kind.source(session, _scope(campaign, chosen, first, min(today, quota.deadline)))
    return sorted(rows)


def _wholes(store: ArchiveStore, campaign: Campaign, quota: Quota, chosen: tuple[District, ...]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    with store.session() as session:
        for name in quota.kinds:
            whole = KINDS[name].whole
            assert whole is not None  # the spec refuses target 'all' for a kind without one
            totals.update(whole(session, _scope(campaign, chosen, EARLIEST, quota.deadline)))
    return {d.name: totals[d.name] for d in chosen}


def campaign_figures(store: ArchiveStore, campaign: Campaign, today: date, district: Districts = None) -> Figures:
    """Count every quota for the chosen districts as of the end of ``today`` (a local day)."""
    chosen = pick_districts(campaign, district)
    names = tuple(d.name for d in chosen)
    by_district: dict[str, list[QuotaFigure]] = {n: [] for n in names}
    roll_up = []
    for quota in campaign.quotas:
        rows = counted_rows(store, campaign, quota, today, district)
        wholes = _wholes(store, campaign, quota, chosen) if quota.target == "all" else {}
        met = late = 0
        for name in names:
            mine = tuple(r for r in rows if r.district == name)
            target = wholes[name] if quota.target == "all" else int(quota.target)
            status = quota_status(len(mine), target, campaign.window.start, quota.deadline, today)
            expected = expected_by(target, campaign.window.start, quota.deadline, today)
            by_district[name].append(QuotaFigure(quota, name, len(mine), target, expected, status, mine))
            met += status is Status.MET
            late += status is Status.LATE
        total = sum(f.target for n in names for f in by_district[n] if f.quota.id == quota.id)
        roll_up.append(RollUp(quota, len(rows), total, met, late, len(names)))
    days, chart_rows = _chart(store, campaign, chosen, today)
    by_name = {n: tuple(v) for n, v in by_district.items()}
    return Figures(campaign, today, names, by_name, tuple(roll_up), days, chart_rows)


def _chart(
    store: ArchiveStore, campaign: Campaign, chosen: tuple[District, ...], today: date
) -> tuple[tuple[date, ...], dict[str, tuple[CountedRow, ...]]]:
    """The campaign's days so far and, for each kind the chart draws, its rows on those days."""
    last = min(today, campaign.window.end)
    if last < campaign.window.start:
        return (), {k: () for k in campaign.chart}
    days = tuple(campaign.window.start + timedelta(days=i) for i in range((last - campaign.window.start).days + 1))
    scope = _scope(campaign, chosen, campaign.window.start, last)
    with store.session() as session:
        return days, {name: tuple(sorted(KINDS[name].source(session, scope))) for name in campaign.chart}
