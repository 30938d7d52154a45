"""The campaign's own table: items a district enters by hand (media reports with their link, the portal link check,
leads reported in the search for relatives, the written summary), beside the records counted where they live."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streamkit.archive.models import Base, utcnow


class CampaignItem(Base):
    """One item a district reported by hand for a campaign: what, when (its own date), where it can be seen."""

    __tablename__ = "campaign_items"
    __table_args__ = (Index("ix_campaign_items_campaign_district_kind", "campaign", "district", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(80))
    district: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500), default="")
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
