"""Counting from real SQLite rows of every kind: each figure with the ids of the rows behind it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.orm import Session

from streamkit.campaigns import counting, kinds
from streamkit.campaigns.counting import campaign_figures, counted_rows
from streamkit.campaigns.kinds import KINDS, CountedRow, Scope
from streamkit.campaigns.spec import Campaign
from streamkit.campaigns.status import Status
from streamkit.errors import ConfigError
from tests.campaigns.conftest import TODAY, Seeded


def ids_of(rows: list[CountedRow] | tuple[CountedRow, ...]) -> list[tuple[str, int]]:
    return [(r.table, r.id) for r in rows]


def test_each_quota_counts_its_rows_per_district(seeded: Seeded, campaign: Campaign) -> None:
    figures = campaign_figures(seeded.store, campaign, TODAY)
    ids = seeded.ids
    south = {f.quota.id: f for f in figures.by_district["南山区"]}
    north = {f.quota.id: f for f in figures.by_district["北山区"]}
    # e5 is the first local day (17:00 UTC the day before); e3 unpublished, e4 before, e6 after the deadline
    assert sorted(ids_of(south["hall-items"].rows)) == [("archive_entries", ids[e]) for e in ("e1", "e2", "e5")]
    assert (south["hall-items"].count, south["hall-items"].target) == (3, 10)
    assert south["hall-items"].expected == 6 and south["hall-items"].status is Status.LATE
    assert ids_of(south["video-tours"].rows) == [("archive_entries", ids["e5"]), ("archive_entries", ids["e2"])]
    assert south["video-tours"].status is Status.MET
    assert south["relatives"].count == 5 and south["relatives"].status is Status.MET
    # another campaign's report and one dated after today do not count
    assert ids_of(south["media-reports"].rows) == [("campaign_items", ids["i1"])]
    assert south["portal-link"].status is Status.ON_TRACK and north["portal-link"].status is Status.MET
    # every tomb: m1 photographed (p1, its second photo p2 not again), m2's photo is blurred
    assert ids_of(south["tomb-photos"].rows) == [("tomb_photos", ids["p1"])]
    assert (south["tomb-photos"].count, south["tomb-photos"].target) == (1, 2)
    assert south["tomb-photos"].status is Status.ON_TRACK
    assert (north["tomb-photos"].count, north["tomb-photos"].target) == (0, 1)  # p4 is a near-duplicate
    yongchuan = figures.figure("永川区", "tomb-photos")
    assert (yongchuan.count, yongchuan.target, yongchuan.status) == (0, 0, Status.MET)  # m4 has no tomb


def test_the_roll_up_adds_the_districts(seeded: Seeded, campaign: Campaign) -> None:
    figures = campaign_figures(seeded.store, campaign, TODAY)
    hall = next(r for r in figures.roll_up if r.quota.id == "hall-items")
    assert (hall.count, hall.target, hall.met, hall.late, hall.districts) == (3, 30, 0, 3, 3)
    assert hall.status is Status.LATE
    tombs = next(r for r in figures.roll_up if r.quota.id == "tomb-photos")
    assert (tombs.count, tombs.target, tombs.met) == (1, 3, 1)


def test_the_chart_counts_flowers_and_approved_messages_per_day(seeded: Seeded, campaign: Campaign) -> None:
    figures = campaign_figures(seeded.store, campaign, TODAY)
    assert figures.days[0] == date(2020, 2, 10) and figures.days[-1] == TODAY and len(figures.days) == 40
    assert figures.daily["flower"][:4] == (0, 2, 2, 0)  # t6 was before the window, t5 is a candle
    assert figures.daily["message"][:4] == (0, 1, 1, 0)  # g3 pending and g4 rejected do not count
    assert ids_of(figures.chart_rows["message"]) == [("messages", seeded.ids["g1"]), ("messages", seeded.ids["g2"])]
    assert figures.chart_total("flower", "南山区") == 3 and figures.chart_total("flower") == 4


def test_one_district_counts_only_its_rows(seeded: Seeded, campaign: Campaign) -> None:
    figures = campaign_figures(seeded.store, campaign, TODAY, district="北山区")
    assert figures.districts == ("北山区",)
    assert figures.chart_total("flower") == 1
    assert {row.district for row in figures.rows()} == {"北山区"}
    rows = counted_rows(seeded.store, campaign, campaign.quotas[0], TODAY, district="南山区")
    assert len(rows) == 3 and all(r.district == "南山区" for r in rows)


def test_an_unknown_district_is_one_clear_error(seeded: Seeded, campaign: Campaign) -> None:
    with pytest.raises(ConfigError, match="no district '东山区' in this campaign"):
        campaign_figures(seeded.store, campaign, TODAY, district="东山区")


def test_rows_after_the_deadline_do_not_count(seeded: Seeded, campaign: Campaign) -> None:
    relatives = campaign.quota("relatives")
    assert relatives is not None
    # the leads were reported 1–5 March; as of 3 March three are in
    assert len(counted_rows(seeded.store, campaign, relatives, date(2020, 3, 3))) == 3
    hall = campaign.quota("hall-items")
    assert hall is not None
    late = counted_rows(seeded.store, campaign, hall, date(2020, 5, 1))
    assert ("archive_entries", seeded.ids["e6"]) not in ids_of(late)


def test_a_kind_is_added_by_one_function(seeded: Seeded, campaign: Campaign, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kinds, "KINDS", dict(KINDS))

    def every_martyr(session: Session, scope: Scope) -> list[CountedRow]:
        return [CountedRow(scope.first, "every_martyr", "martyrs", 1, scope.districts[0])]

    kinds.kind("every_martyr", "测试")(every_martyr)
    assert "every_martyr" in kinds.KINDS and "every_martyr" not in KINDS
    with pytest.raises(ValueError, match="registered twice"):
        kinds.kind("every_martyr", "测试")(every_martyr)


def test_relatives_sought_and_proxy_sweeps_done_count_from_their_records(seeded: Seeded, campaign: Campaign) -> None:
    from streamkit.participation.family_models import ProxySweep, RelativeSearch, SweepStatus

    ids = seeded.ids
    marked = datetime(2020, 3, 2, 2)  # UTC, 10:00 in Beijing
    with seeded.store.transaction() as session:
        session.add(RelativeSearch(martyr_id=ids["m1"], created_at=marked))
        session.add(RelativeSearch(martyr_id=ids["m3"], created_at=datetime(2020, 3, 20, 2)))  # after the deadline
        done = ProxySweep(
            martyr_id=ids["m2"], preferred_date=date(2020, 4, 4), status=SweepStatus.DONE.value, closed_at=marked
        )
        open_order = ProxySweep(martyr_id=ids["m2"], preferred_date=date(2020, 4, 4))  # not done: not counted
        session.add_all([done, open_order])
        session.flush()
        done_id = done.id
    figures = campaign_figures(seeded.store, campaign, TODAY)
    south = {f.quota.id: f for f in figures.by_district["南山区"]}
    north = {f.quota.id: f for f in figures.by_district["北山区"]}
    assert ("relative_searches", ids["m1"]) in ids_of(south["relatives"].rows)
    assert south["relatives"].count == 6  # five reported by hand, one marked in the register
    assert north["relatives"].count == 0
    scope = counting._scope(campaign, campaign.districts, date(2020, 2, 10), TODAY)
    with seeded.store.session() as session:
        rows = KINDS["proxy_sweep"].source(session, scope)
    assert [(r.table, r.id, r.district, r.day) for r in rows] == [("proxy_sweeps", done_id, "南山区", date(2020, 3, 2))]
