"""A store with real rows of every kind a campaign counts, around the edges of the Qingming campaign's window.

Times are stored as naive UTC; the campaign counts days in Asia/Shanghai (UTC+8), so 2020-02-09 17:00 UTC is
the campaign's first day and 2020-04-10 16:30 UTC is already the day after its last.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.models import CampaignItem
from streamkit.campaigns.spec import Campaign, load_campaign
from streamkit.participation.models import Message, Tribute
from streamkit.register.models import Martyr, TombPhoto

ROOT = Path(__file__).resolve().parents[2]
QINGMING = ROOT / "config" / "campaigns" / "qingming-2020.yaml"
TEMPLATE = ROOT / "config" / "campaigns" / "templates" / "report.txt.j2"
TODAY = date(2020, 3, 20)
FAMILY_CONTACT = "烈属张桂兰 13800138000"  # private: must never reach a report or the dashboard
VISITOR = "访客李小明"  # a message's author: not the campaign's business either


@dataclass
class Seeded:
    store: ArchiveStore
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def campaign() -> Campaign:
    return load_campaign(QINGMING)


def _add(session: object, name: str, row: object, ids: dict[str, int]) -> None:
    session.add(row)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    ids[name] = row.id  # type: ignore[attr-defined]


def seed(store: ArchiveStore) -> dict[str, int]:
    ids: dict[str, int] = {}
    with store.transaction() as s:
        martyrs = {
            "m1": ("王志国", "南山烈士陵园", "A-1-1"),
            "m2": ("陳國樑", "南山烈士陵园", "A-1-2"),
            "m3": ("李明", "北山陵园", "B-1-1"),
            "m4": ("赵刚", "永川烈士陵园", None),  # no tomb position: not part of "every tomb"
            "m5": ("孙立", "外区陵园", "C-1-1"),  # a cemetery no district owns
        }
        for key, (name, cemetery, tomb) in martyrs.items():
            martyr = Martyr(key=key, name=name, cemetery=cemetery, tomb_key=tomb, family_contact=FAMILY_CONTACT)
            _add(s, key, martyr, ids)
        photos = {  # name: (martyr, match, problems, duplicate of, checked at)
            "p1": ("m1", "matched", "", None, datetime(2020, 2, 15, 2)),
            "p2": ("m1", "matched", "", None, datetime(2020, 2, 16, 2)),  # a second good photo: one tomb, once
            "p3": ("m2", "matched", "blurred", None, datetime(2020, 2, 15, 2)),
            "p4": ("m3", "matched", "", "p1", datetime(2020, 2, 15, 2)),  # near-duplicate: not good
            "p5": (None, "unmatched", "", None, datetime(2020, 2, 15, 2)),
            "p6": ("m5", "matched", "", None, datetime(2020, 2, 15, 2)),  # no district
        }
        for key, (martyr, match, problems, duplicate, at) in photos.items():
            photo = TombPhoto(
                path=f"/survey/{key}.jpg", martyr_id=ids[martyr] if martyr else None, match=match,
                problems=problems, duplicate_of=ids[duplicate] if duplicate else None, checked_at=at,
            )  # fmt: skip
            _add(s, key, photo, ids)
        entries = {  # name: (kind, venue, published, published at)
            "e1": ("recording", "南山烈士陵园", True, datetime(2020, 2, 20, 4)),
            "e2": ("tour", "南山陵园", True, datetime(2020, 3, 1, 4)),
            "e3": ("tour", "北山陵园", False, datetime(2020, 3, 1, 4)),  # not published
            "e4": ("recording", "南山烈士陵园", True, datetime(2019, 12, 1, 4)),  # before the window
            "e5": ("tour", "南山烈士陵园", True, datetime(2020, 2, 9, 17)),  # 01:00 on the first day, local
            "e6": ("recording", "南山烈士陵园", True, datetime(2020, 4, 10, 16, 30)),  # 00:30 after the deadline
        }
        for key, (kind, venue, published, at) in entries.items():
            entry = ArchiveEntry(
                kind=kind, title=f"{venue}{key}", media_url="https://v.example/a.mp4", venue=venue,
                published=published, published_at=at, media_sha256=None,
            )  # fmt: skip
            _add(s, key, entry, ids)
        messages = {  # name: (martyr, status, decided at)
            "g1": ("m1", "approved", datetime(2020, 2, 11, 3)),
            "g2": ("m3", "approved", datetime(2020, 2, 12, 3)),
            "g3": ("m1", "pending", None),
            "g4": ("m1", "rejected", datetime(2020, 2, 12, 3)),
        }
        for key, (martyr, status, at) in messages.items():
            message = Message(
                martyr_id=ids[martyr], author=VISITOR, body="英烈千古 请联系 13900139000", status=status,
                verdict="pass", decided_at=at,
            )  # fmt: skip
            _add(s, key, message, ids)
        tributes = {  # name: (martyr, kind, cemetery, day)
            "t1": ("m1", "flower", "南山烈士陵园", date(2020, 2, 11)),
            "t2": ("m1", "flower", "南山烈士陵园", date(2020, 2, 11)),
            "t3": ("m1", "flower", "南山烈士陵园", date(2020, 2, 12)),
            "t4": ("m3", "flower", "北山陵园", date(2020, 2, 12)),
            "t5": ("m1", "candle", "南山烈士陵园", date(2020, 2, 12)),
            "t6": ("m1", "flower", "南山烈士陵园", date(2020, 2, 9)),  # before the window
        }
        for key, (martyr, kind, cemetery, day) in tributes.items():
            tribute = Tribute(key=key, martyr_id=ids[martyr], kind=kind, cemetery=cemetery, day=day, client="c")
            _add(s, key, tribute, ids)
        items = {  # name: (campaign, district, kind, day)
            "i1": ("qingming-2020", "南山区", "media_report", date(2020, 3, 1)),
            "i2": ("qingming-2020", "北山区", "portal_link", date(2020, 2, 10)),
            "i3": ("other-campaign", "南山区", "media_report", date(2020, 3, 1)),
            "i9": ("qingming-2020", "南山区", "media_report", date(2020, 3, 25)),  # after "today"
        }
        for n in range(5):
            items[f"r{n}"] = ("qingming-2020", "南山区", "relatives_lead", date(2020, 3, 1 + n))
        for key, (slug, district, kind, day) in items.items():
            item = CampaignItem(
                campaign=slug, district=district, kind=kind, title=f"{kind}{key}", url="https://news.example/a",
                day=day, created_by="archivist",
            )  # fmt: skip
            _add(s, key, item, ids)
    return ids


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    store = ArchiveStore(f"sqlite:///{tmp_path / 'campaign.db'}", tmp_path / "media")
    ids = seed(store)
    yield Seeded(store, ids)
    store.dispose()
