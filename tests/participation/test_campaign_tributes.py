"""The running campaign's tributes on the public pages: summed from the day totals over the campaign's window and
cemeteries, equal to the dashboard's tribute items for the same days, in the tribute block and the live counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.counting import campaign_figures
from streamkit.campaigns.shelf import CampaignShelf
from streamkit.campaigns.spec import Campaign, load_campaign
from streamkit.campaigns.tributes import campaign_tributes, running_tributes
from streamkit.participation.models import TributeKind
from streamkit.participation.tributes import Outcome, TributeRequest, offer_tribute, tribute_day
from streamkit.register.importer import import_register
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.archive.conftest import make_event
from tests.participation.conftest import JSON, register_file
from tests.participation.test_tribute_pages import form
from tests.register.conftest import PRIVATE_PHONE
from tests.web.conftest import SECRET, web_settings

START, END = date(2020, 2, 10), date(2020, 4, 10)
NANSHAN, BEISHAN, ELSEWHERE = "南山烈士陵园", "北山陵园", "外区陵园"  # the last one no district owns
THEME = "致敬·清明祭英烈"


def write_campaign(folder: Path, slug: str = "qingming", *, start: date = START, end: date = END,
                   chart: str = "[flower]") -> Path:  # fmt: skip
    """A campaign file: 南山区 owns 南山烈士陵园, 北山区 owns 北山陵园; one quota, the chart as given."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(
        f"""version: 1
slug: {slug}
theme: {THEME}
issuer: 市退役军人事务局
window: {{start: {start.isoformat()}, end: {end.isoformat()}}}
districts:
  - {{name: 南山区, cemeteries: [{NANSHAN}, 南山陵园]}}
  - {{name: 北山区, cemeteries: [{BEISHAN}]}}
quotas:
  - {{id: flowers, label: 献花, kinds: [flower], target: 10, deadline: {end.isoformat()}}}
chart: {chart}
""",
        encoding="utf-8",
    )
    return path


class Offering:
    """Tributes offered through the real writer, each from its own client so no cap gets in the way."""

    def __init__(self, store: ArchiveStore) -> None:
        self.store = store
        self.n = 0

    def __call__(self, day: date, *, martyr_id: int | None = 1, event_id: int | None = None,
                 kind: TributeKind = TributeKind.FLOWER, client: str = "", cap: int = 100) -> Outcome:  # fmt: skip
        self.n += 1
        request = TributeRequest(
            key=f"campaign{self.n:010d}", martyr_id=None if event_id else martyr_id, event_id=event_id, kind=kind,
            client=client or f"c{self.n}", day=day,
        )  # fmt: skip
        return offer_tribute(self.store, request, daily_cap=cap)


@pytest.fixture
def campaign(tmp_path: Path) -> Campaign:
    return load_campaign(write_campaign(tmp_path / "campaigns"))


def test_the_window_counts_its_first_and_last_beijing_day_and_nothing_around(
    store: ArchiveStore, campaign: Campaign
) -> None:
    offered = Offering(store)
    # 2020-04-10 15:59 UTC is 23:59 on the last day in Beijing; 16:00 UTC is already the day after
    last_minute, day_after = tribute_day(datetime(2020, 4, 10, 15, 59)), tribute_day(datetime(2020, 4, 10, 16, 0))
    assert (last_minute, day_after) == (END, END + timedelta(days=1))
    for day in (START - timedelta(days=1), START, date(2020, 3, 1), last_minute, day_after):
        assert offered(day) is Outcome.COUNTED
    assert campaign_tributes(store, campaign, START).count == 1
    assert campaign_tributes(store, campaign, date(2020, 3, 1)).count == 2
    at_end = campaign_tributes(store, campaign, END)
    assert (at_end.count, at_end.first, at_end.last) == (3, START, END)
    after = campaign_tributes(store, campaign, date(2020, 5, 1))  # looked at later: still the window's three
    assert (after.count, after.last) == (3, END)
    assert campaign_tributes(store, campaign, START - timedelta(days=1)).count == 0
    assert running_tributes(store, [campaign], END) == at_end
    assert running_tributes(store, [campaign], day_after) is None  # over: the pages show nothing
    assert running_tributes(store, [campaign], START - timedelta(days=1)) is None  # not begun


def test_only_the_cemeteries_of_the_campaigns_districts_count(store: ArchiveStore, campaign: Campaign) -> None:
    offered = Offering(store)
    north = make_event(store, venue=BEISHAN)
    elsewhere = make_event(store, venue=ELSEWHERE)
    day = date(2020, 3, 1)
    offered(day)  # 王志国, 南山烈士陵园 (南山区)
    offered(day, event_id=north.id, kind=TributeKind.BOW)  # 北山区
    for _ in range(3):
        offered(day, event_id=elsewhere.id)  # no district of the campaign owns it
    assert campaign_tributes(store, campaign, day).count == 2
    assert running_tributes(store, [campaign], day, BEISHAN) == campaign_tributes(store, campaign, day)
    assert running_tributes(store, [campaign], day, ELSEWHERE) is None  # its page shows no campaign
    assert running_tributes(store, [], day) is None  # none configured


def test_the_public_figure_equals_the_dashboards_tribute_items(store: ArchiveStore, tmp_path: Path) -> None:
    campaign = load_campaign(write_campaign(tmp_path / "c", chart="[flower, candle, bow]"))
    offered = Offering(store)
    north = make_event(store, venue=BEISHAN)
    elsewhere = make_event(store, venue=ELSEWHERE)
    kinds = list(TributeKind)
    for n, day in enumerate([START - timedelta(days=1), START, date(2020, 3, 1), date(2020, 3, 2), END,
                             END + timedelta(days=1)]):  # fmt: skip
        offered(day, kind=kinds[n % 3])
        offered(day, event_id=north.id, kind=kinds[(n + 1) % 3])
        offered(day, event_id=elsewhere.id, kind=kinds[(n + 2) % 3])
        offered(day, martyr_id=2, kind=TributeKind.CANDLE)
    # capped tributes are neither stored nor added to the day totals: one client, a cap of two, three taps
    outcomes = [offered(date(2020, 3, 1), martyr_id=3, client="same", cap=2) for _ in range(3)]
    assert outcomes == [Outcome.COUNTED, Outcome.COUNTED, Outcome.CAPPED]
    for today in (START, date(2020, 3, 1), END, date(2020, 5, 1)):
        dashboard = campaign_figures(store, campaign, today)
        items = sum(dashboard.chart_total(kind.value) for kind in TributeKind)
        assert campaign_tributes(store, campaign, today).count == items
    assert campaign_tributes(store, campaign, END).count == 4 * 3 + 2  # four days, three tributes each, two kept


def test_the_shelf_leaves_out_broken_specs_and_reads_a_changed_file_again(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    assert CampaignShelf(folder).campaigns() == ()  # no folder: no campaign
    path = write_campaign(folder, "spring")
    (folder / "broken.yaml").write_text("version: 1\nslug: broken\n", encoding="utf-8")
    shelf = CampaignShelf(folder)
    assert [c.slug for c in shelf.campaigns()] == ["spring"]
    assert shelf.campaigns()[0].window.end == END
    write_campaign(folder, "spring", end=date(2020, 5, 10))  # a longer file: its size changed
    assert path.exists() and [c.window.end for c in shelf.campaigns()] == [date(2020, 5, 10)]


@pytest.fixture
def campaign_site(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The site with one campaign running today for 南山区 and 北山区."""
    today = tribute_day()
    folder = tmp_path / "campaigns"
    write_campaign(folder, start=today - timedelta(days=3), end=today + timedelta(days=3))
    settings = web_settings(tmp_path, database_url=database_url, tribute_daily_cap=5)
    site = create_app(settings.model_copy(update={"campaigns_dir": folder}), secret_key=SECRET)
    archive: ArchiveStore = site.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    yield site
    archive.dispose()


def test_the_pages_and_the_live_counts_show_the_running_campaign(campaign_site: Flask) -> None:
    client: FlaskClient = campaign_site.test_client()
    archive: ArchiveStore = campaign_site.extensions[STORE_KEY]
    event = make_event(archive, venue=NANSHAN)
    elsewhere = make_event(archive, venue=ELSEWHERE)
    today = tribute_day()
    same_origin = {"Origin": "http://localhost", **JSON}
    for n, path in enumerate(["/martyrs/2", f"/events/{event.id}", f"/events/{elsewhere.id}"]):
        data = {"kind": "flower", "key": f"page{n:016d}"}
        if path.startswith("/martyrs"):
            data["csrf_token"] = form(client, 2)[0]
        assert client.post(f"{path}/tributes", data=data, headers=same_origin).status_code == 200
    figure: dict[str, Any] = {
        "slug": "qingming",
        "theme": THEME,
        "count": 2,  # the martyr's and the 南山 event's; not the tribute at a cemetery no district owns
        "first": (today - timedelta(days=3)).isoformat(),
        "last": today.isoformat(),
    }
    for path in ("/api/tributes/martyrs/1", f"/api/tributes/events/{event.id}"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.json["campaign"] == figure
        assert answer.headers["Cache-Control"] == "public, max-age=2" and PRIVATE_PHONE not in answer.text
    assert client.get(f"/api/tributes/events/{elsewhere.id}").json["campaign"] is None
    output = '<output class="tribute-total" data-total="campaign" data-campaign="qingming">2</output>'
    line = f"{THEME}活动期间心意：\n    {output}"
    assert line in client.get("/martyrs/1").text
    assert line in client.get(f"/events/{event.slug}").text
    assert 'data-total="campaign"' not in client.get(f"/events/{elsewhere.slug}").text


def test_without_a_running_campaign_the_field_is_null_and_the_page_shows_none(client: FlaskClient) -> None:
    # the participation site reads config/campaigns: the Qingming 2020 campaign ended long ago
    assert client.get("/api/tributes/martyrs/1").json["campaign"] is None
    assert 'data-total="campaign"' not in client.get("/martyrs/1").text
