"""The kinds of item a campaign counts, as a registry: each kind is one function that returns the rows it counts.

A kind answers "which rows of mine fall in these districts between these days", each row with its table, id,
district and local day, so every figure traces to the rows behind it. Adding a kind is one decorated function
(``@kind("name", "标签")``); campaign specs are checked against this registry when they are read.

A kind with a ``whole`` (every tomb) can take ``target: all``: its whole is counted per district the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from streamkit.archive.models import ArchiveEntry, EntryKind
from streamkit.campaigns.models import CampaignItem
from streamkit.participation.family_models import ProxySweep, RelativeSearch, SweepStatus
from streamkit.participation.models import Message, MessageStatus, Tribute, TributeKind
from streamkit.register.models import Martyr, TombPhoto


@dataclass(frozen=True)
class Scope:
    """What to count: one campaign's districts (``cemeteries`` maps each cemetery to its district), from ``first``
    to ``last`` (local days, both counted) in ``zone``."""

    campaign: str
    cemeteries: Mapping[str, str]
    districts: tuple[str, ...]
    first: date
    last: date
    zone: ZoneInfo

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The stored (naive UTC) times that fall on ``first`` .. ``last`` in the campaign's zone."""

        def utc(day: date) -> datetime:
            return datetime.combine(day, time(), self.zone).astimezone(UTC).replace(tzinfo=None)

        return utc(self.first), utc(self.last + timedelta(days=1))

    def local_day(self, stored: datetime) -> date:
        return stored.replace(tzinfo=UTC).astimezone(self.zone).date()


@dataclass(frozen=True, order=True)
class CountedRow:
    """One row behind a figure: its kind, the table and id it lives under, its district and day."""

    day: date
    kind: str
    table: str
    id: int
    district: str
    note: str = ""  # a public title (archive entry, media report); never a family's or a visitor's data


Source = Callable[[Session, Scope], list[CountedRow]]
Whole = Callable[[Session, Scope], dict[str, int]]


@dataclass(frozen=True)
class ItemKind:
    name: str
    label: str  # as the dashboard and the report name it
    source: Source
    whole: Whole | None = None
    by_hand: bool = False  # entered through the campaign's form (campaign_items), not counted from records
    # state kinds (a tomb photographed) count what exists by the deadline, wherever in time it was made
    from_start: bool = True


KINDS: dict[str, ItemKind] = {}


def kind(name: str, label: str, *, whole: Whole | None = None, from_start: bool = True) -> Callable[[Source], Source]:
    """Register ``source`` as the kind ``name``."""

    def register(source: Source) -> Source:
        if name in KINDS:
            raise ValueError(f"item kind {name!r} is registered twice")
        KINDS[name] = ItemKind(name, label, source, whole, from_start=from_start)
        return source

    return register


def by_hand(name: str, label: str) -> None:
    """Register a kind a district enters by hand; its rows are in ``campaign_items``."""

    def source(session: Session, scope: Scope) -> list[CountedRow]:
        query = select(CampaignItem).where(
            CampaignItem.campaign == scope.campaign,
            CampaignItem.kind == name,
            CampaignItem.district.in_(scope.districts),
            CampaignItem.day <= scope.last,
        )
        return [
            CountedRow(item.day, name, "campaign_items", item.id, item.district, item.title)
            for item in session.scalars(query)
            if item.day >= scope.first
        ]

    KINDS[name] = ItemKind(name, label, source, by_hand=True)


def hand_kinds() -> dict[str, ItemKind]:
    return {name: k for name, k in KINDS.items() if k.by_hand}


def _archive_entries(entry_kind: EntryKind) -> Source:
    def source(session: Session, scope: Scope) -> list[CountedRow]:
        low, high = scope.utc_bounds()
        query = select(ArchiveEntry.id, ArchiveEntry.venue, ArchiveEntry.published_at, ArchiveEntry.title).where(
            ArchiveEntry.kind == entry_kind.value,
            ArchiveEntry.published.is_(True),
            ArchiveEntry.venue.in_(list(scope.cemeteries)),
            ArchiveEntry.published_at >= low,
            ArchiveEntry.published_at < high,
        )
        return [
            CountedRow(scope.local_day(at), entry_kind.value, "archive_entries", row_id, scope.cemeteries[venue], title)
            for row_id, venue, at, title in session.execute(query)
        ]

    return source


kind("recording", "录像")(_archive_entries(EntryKind.RECORDING))
kind("tour", "视频导览")(_archive_entries(EntryKind.TOUR))


@kind("message", "网上寄语（已审核）")
def approved_messages(session: Session, scope: Scope) -> list[CountedRow]:
    """Messages a moderator approved, on the day they were approved (when they appeared in the hall)."""
    low, high = scope.utc_bounds()
    query = (
        select(Message.id, Martyr.cemetery, Message.decided_at)
        .join(Martyr, Martyr.id == Message.martyr_id)
        .where(
            Message.status == MessageStatus.APPROVED.value,
            Martyr.cemetery.in_(list(scope.cemeteries)),
            Message.decided_at >= low,
            Message.decided_at < high,
        )
    )
    return [
        CountedRow(scope.local_day(at), "message", "messages", row_id, scope.cemeteries[cemetery])
        for row_id, cemetery, at in session.execute(query)
        if at is not None  # the query asks for a decision time; this keeps the type checker told
    ]


def _tributes(tribute_kind: TributeKind) -> Source:
    def source(session: Session, scope: Scope) -> list[CountedRow]:
        query = select(Tribute.id, Tribute.cemetery, Tribute.day).where(
            Tribute.kind == tribute_kind.value,
            Tribute.cemetery.in_(list(scope.cemeteries)),
            Tribute.day >= scope.first,
            Tribute.day <= scope.last,
        )
        return [
            CountedRow(day, tribute_kind.value, "tributes", row_id, scope.cemeteries[cemetery])
            for row_id, cemetery, day in session.execute(query)
        ]

    return source


kind("flower", "献花")(_tributes(TributeKind.FLOWER))
kind("candle", "点烛")(_tributes(TributeKind.CANDLE))
kind("bow", "鞠躬")(_tributes(TributeKind.BOW))


def _tombs(session: Session, scope: Scope) -> dict[str, int]:
    """Every tomb of the register in each district: records with a tomb position."""
    counts = dict.fromkeys(scope.districts, 0)
    query = select(Martyr.cemetery).where(Martyr.tomb_key.is_not(None), Martyr.cemetery.in_(list(scope.cemeteries)))
    for (cemetery,) in session.execute(query):
        counts[scope.cemeteries[cemetery]] += 1
    return counts


@kind("tomb_photo", "墓位照片（质检合格）", whole=_tombs, from_start=False)
def tombs_photographed(session: Session, scope: Scope) -> list[CountedRow]:
    """One row per tomb with a photo that passed the checks (matched to it, no problem, no near-duplicate), the
    first such photo, on the day it was checked."""
    low, high = scope.utc_bounds()
    query = (
        select(TombPhoto.id, TombPhoto.martyr_id, Martyr.cemetery, TombPhoto.checked_at)
        .join(Martyr, Martyr.id == TombPhoto.martyr_id)
        .where(
            TombPhoto.match == "matched",
            TombPhoto.problems == "",
            TombPhoto.duplicate_of.is_(None),
            Martyr.tomb_key.is_not(None),
            Martyr.cemetery.in_(list(scope.cemeteries)),
            TombPhoto.checked_at >= low,
            TombPhoto.checked_at < high,
        )
        .order_by(TombPhoto.id)
    )
    seen: set[int] = set()
    rows = []
    for row_id, martyr_id, cemetery, at in session.execute(query):
        if martyr_id is None or martyr_id in seen:
            continue
        seen.add(martyr_id)
        rows.append(CountedRow(scope.local_day(at), "tomb_photo", "tomb_photos", row_id, scope.cemeteries[cemetery]))
    return rows


def _by_martyr_day(name: str, table: str, query_of: Callable[[datetime, datetime], Any]) -> Source:
    """A kind counted from rows tied to a martyr, dated by one time column; the district is the martyr's."""

    def source(session: Session, scope: Scope) -> list[CountedRow]:
        low, high = scope.utc_bounds()
        query = query_of(low, high).where(Martyr.cemetery.in_(list(scope.cemeteries)))
        return [
            CountedRow(scope.local_day(at), name, table, row_id, scope.cemeteries[cemetery])
            for row_id, cemetery, at in session.execute(query)
            if at is not None
        ]

    return source


kind("relatives_sought", "寻亲烈士（已列入寻亲名单）")(
    _by_martyr_day(
        "relatives_sought",
        "relative_searches",
        lambda low, high: (
            select(RelativeSearch.martyr_id, Martyr.cemetery, RelativeSearch.created_at)
            .join(Martyr, Martyr.id == RelativeSearch.martyr_id)
            .where(RelativeSearch.created_at >= low, RelativeSearch.created_at < high)
        ),
    )
)
kind("proxy_sweep", "代为祭扫（已完成）")(
    _by_martyr_day(
        "proxy_sweep",
        "proxy_sweeps",
        lambda low, high: (
            select(ProxySweep.id, Martyr.cemetery, ProxySweep.closed_at)
            .join(Martyr, Martyr.id == ProxySweep.martyr_id)
            .where(
                ProxySweep.status == SweepStatus.DONE.value,
                ProxySweep.closed_at >= low,
                ProxySweep.closed_at < high,
            )
        ),
    )
)

by_hand("media_report", "媒体报道")
by_hand("portal_link", "门户网站链接")
by_hand("relatives_lead", "寻亲线索报送")
by_hand("summary", "书面总结")
