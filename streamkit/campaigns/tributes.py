"""A campaign's tributes for the public pages: every tribute offered in its cemeteries from its first day on.

Summed from the day totals (``tribute_day_counts``: one row per day and cemetery, keyed by both), so the figure
is a range read of a few hundred rows however many tributes there are, cheap enough for the live counts every
page polls. Those totals keep the kinds together, so the figure is the tributes of every kind: the dashboard's
flower, candle and bow items over the same days and cemeteries, added up. A tribute counts for its day in the
cemeteries' zone (``Tribute.day``), as the dashboard's tribute kinds count it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.spec import Campaign
from streamkit.participation.models import TributeDayCount


@dataclass(frozen=True)
class CampaignTributes:
    """The tributes of one campaign's cemeteries from ``first`` to ``last`` (both counted)."""

    slug: str
    theme: str
    first: date
    last: date  # the day asked, or the window's last day once it has passed
    count: int


def campaign_cemeteries(campaign: Campaign) -> tuple[str, ...]:
    """The cemeteries of every district of the campaign, the scope the dashboard counts tributes in."""
    return tuple(sorted({cemetery for district in campaign.districts for cemetery in district.cemeteries}))


def campaign_tributes(store: ArchiveStore, campaign: Campaign, day: date) -> CampaignTributes:
    """The campaign's tributes from its first day to ``day`` (never past its last day); zero before it starts."""
    first, last = campaign.window.start, min(day, campaign.window.end)
    query = select(func.coalesce(func.sum(TributeDayCount.count), 0)).where(
        TributeDayCount.day >= first,
        TributeDayCount.day <= last,
        TributeDayCount.cemetery.in_(campaign_cemeteries(campaign)),
    )
    with store.engine.connect() as connection:
        count = int(connection.scalar(query) or 0)
    return CampaignTributes(campaign.slug, campaign.theme, first, last, count)


def running_tributes(
    store: ArchiveStore, campaigns: Iterable[Campaign], day: date, cemetery: str | None = None
) -> CampaignTributes | None:
    """The tributes of the campaign running on ``day`` that takes ``cemetery``'s tributes (any, when None).

    When several run, the one that started last (then the first slug): the campaign a visitor has heard of now.
    None when none does.
    """
    running = [
        c
        for c in campaigns
        if c.window.start <= day <= c.window.end and (cemetery is None or c.owner_of(cemetery) is not None)
    ]
    if not running:
        return None
    chosen = min(running, key=lambda c: (-c.window.start.toordinal(), c.slug))
    return campaign_tributes(store, chosen, day)
