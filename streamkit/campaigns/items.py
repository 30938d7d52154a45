"""Items a district enters by hand (media reports, the portal link, leads in the search for relatives, the summary):
checked against the campaign, written with their audit record in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.kinds import KINDS
from streamkit.campaigns.models import CampaignItem
from streamkit.campaigns.spec import Campaign
from streamkit.errors import ArchiveError

NEEDS_LINK = frozenset({"media_report", "portal_link"})  # a report or a portal page is proved by where it can be seen
LINK_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class ItemDraft:
    district: str
    kind: str
    title: str
    url: str
    day: date
    note: str = ""


def item_problem(campaign: Campaign, draft: ItemDraft) -> str | None:
    """Why a draft cannot be saved (in the words staff read), or None."""
    if campaign.district(draft.district) is None:
        return "没有这个区"
    kind = KINDS.get(draft.kind)
    if kind is None or not kind.by_hand:
        return "这一类不能手工录入"
    if draft.kind in NEEDS_LINK and not draft.url:
        return "媒体报道和门户链接需要填写网址"
    if draft.url and not draft.url.lower().startswith(LINK_SCHEMES):
        return "网址须以 http:// 或 https:// 开头"
    return None


def add_item(store: ArchiveStore, campaign: Campaign, draft: ItemDraft, *, actor: str) -> int:
    """Save one item and its audit record together; ArchiveError (nothing written) when the draft is refused."""
    problem = item_problem(campaign, draft)
    if problem:
        raise ArchiveError(problem)
    with store.transaction() as session:
        item = CampaignItem(
            campaign=campaign.slug, district=draft.district, kind=draft.kind, title=draft.title, url=draft.url,
            day=draft.day, note=draft.note, created_by=actor,
        )  # fmt: skip
        session.add(item)
        session.flush()
        ArchiveStore.audit(
            session, actor, "campaign.item.add", f"campaign:{campaign.slug}:{item.id}",
            f"{draft.district} {draft.kind} {draft.title}",
        )  # fmt: skip
        return item.id


def hand_items(store: ArchiveStore, campaign: Campaign, districts: Sequence[str]) -> list[CampaignItem]:
    """The items entered by hand for the campaign in these districts, newest day first."""
    with store.session() as session:
        query = (
            select(CampaignItem)
            .where(CampaignItem.campaign == campaign.slug, CampaignItem.district.in_(list(districts)))
            .order_by(CampaignItem.day.desc(), CampaignItem.id.desc())
        )
        return list(session.scalars(query))
