"""The campaign dashboard through Flask's client: quota tables per district and the roll-up, the inline SVG chart,
the hand-entry form (CSRF, Chinese messages beside the fields, the audit log), no family data on the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from streamkit.archive.models import AuditRecord
from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.models import CampaignItem
from streamkit.config.settings import Settings, WebSettings
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.campaigns.conftest import FAMILY_CONTACT, QINGMING, VISITOR, seed
from tests.web.conftest import ADMIN, SECRET, STAFF, csrf_token, sign_in

PAGE = "/admin/campaigns/qingming-2020"
AS_OF = "?day=2020-03-20"


def campaign_app(tmp_path: Path, campaigns_dir: Path = QINGMING.parent) -> Flask:
    web = WebSettings.model_validate(
        {"database_url": f"sqlite:///{tmp_path / 'site.db'}", "media_dir": tmp_path / "media", "secure_cookies": False}
    )
    return create_app(Settings(web=web, campaigns_dir=campaigns_dir), secret_key=SECRET)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[FlaskClient, ArchiveStore, dict[str, int]]]:
    app = campaign_app(tmp_path)
    store: ArchiveStore = app.extensions[STORE_KEY]
    ids = seed(store)
    add_user(store, *STAFF, roles=ADMIN)
    client = app.test_client()
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    yield client, store, ids
    store.dispose()


def test_the_dashboard_shows_each_district_the_roll_up_and_the_chart(
    site: tuple[FlaskClient, ArchiveStore, dict[str, int]],
) -> None:
    client, _, _ = site
    response = client.get(PAGE + AS_OF)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "全市汇总" in html and html.count('class="district"') == 3
    # 南山区's hall items: 3 of 10, 6 due by the pace on 20 March: late
    assert (
        '<tr data-quota="hall-items"><th scope="row">向网上纪念馆提供内容</th>\n  <td class="count">3</td><td>10</td>'
        "<td>6</td><td>2020-04-10</td>\n  "
        '<td class="status status-late">滞后</td></tr>'
    ) in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="daily-chart"' in html
    assert "<title>2020-02-11 献花 2</title>" in html and "<title>2020-02-12 网上寄语（已审核） 1</title>" in html
    assert html.count('class="bar"') == 2 * 40  # two panels, 40 days from 10 February to 20 March
    assert FAMILY_CONTACT not in html and VISITOR not in html and "13800138000" not in html


def test_one_district_and_an_unknown_one(site: tuple[FlaskClient, ArchiveStore, dict[str, int]]) -> None:
    client, _, _ = site
    html = client.get(PAGE + AS_OF + "&district=北山区").get_data(as_text=True)
    assert html.count('class="district"') == 1 and 'data-district="北山区"' in html
    assert "献花（每日，共1）" in html
    assert client.get(PAGE + "?district=东山区").status_code == 404
    assert client.get("/admin/campaigns/no-such-campaign").status_code == 404
    assert "致敬·2020清明祭英烈" in client.get("/admin/campaigns/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(tmp_path: Path) -> None:
    app = campaign_app(tmp_path)
    response = app.test_client().get(PAGE)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    app.extensions[STORE_KEY].dispose()


def post_item(client: FlaskClient, data: dict[str, str]) -> tuple[int, str]:
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    response = client.post(PAGE + "/items", data={**data, "csrf_token": token})
    return response.status_code, response.get_data(as_text=True)


def test_a_media_report_is_entered_with_its_audit_record(
    site: tuple[FlaskClient, ArchiveStore, dict[str, int]],
) -> None:
    client, store, _ = site
    report = {"district": "北山区", "kind": "media_report", "title": "北山区网上祭英烈见闻",
              "url": "https://news.example/beishan", "day": "2020-03-02", "note": ""}  # fmt: skip
    status, _ = post_item(client, report)
    assert status == 303
    with store.session() as session:
        item = session.scalars(select(CampaignItem).where(CampaignItem.title == "北山区网上祭英烈见闻")).one()
        audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "campaign.item.add")).one()
    assert (item.district, item.kind, str(item.day), item.created_by) == (
        "北山区",
        "media_report",
        "2020-03-02",
        STAFF[0],
    )
    assert audit.actor == STAFF[0] and audit.target == f"campaign:qingming-2020:{item.id}"
    html = client.get(PAGE + AS_OF + "&district=北山区").get_data(as_text=True)
    assert '<a href="https://news.example/beishan" rel="noopener noreferrer">北山区网上祭英烈见闻</a>' in html
    assert '<tr data-quota="media-reports"><th scope="row">媒体宣传报道</th>\n  <td class="count">1</td>' in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": ""}, "媒体报道和门户链接需要填写网址"),
        ({"url": "javascript:alert(1)"}, "网址须以 http:// 或 https:// 开头"),
        ({"title": ""}, "请填写标题"),
        ({"day": "2019-01-01"}, "日期须在活动期间（2020-02-10 至 2020-04-11）"),
        ({"day": "not a date"}, "不是有效的日期值"),
        ({"district": "东山区"}, "不是有效的选择"),
        ({"title": "两行\n标题"}, "不允许"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_is_written(
    site: tuple[FlaskClient, ArchiveStore, dict[str, int]], change: dict[str, str], message: str
) -> None:
    client, store, _ = site
    good = {"district": "南山区", "kind": "media_report", "title": "报道", "url": "https://news.example/x",
            "day": "2020-03-02", "note": ""}  # fmt: skip
    with store.session() as session:
        before = len(session.scalars(select(CampaignItem)).all())
    status, html = post_item(client, {**good, **change})
    assert status == 400 and 'class="error-msg" role="alert"' in html and message in html
    with store.session() as session:
        assert len(session.scalars(select(CampaignItem)).all()) == before


def test_a_post_without_the_csrf_token_is_refused(site: tuple[FlaskClient, ArchiveStore, dict[str, int]]) -> None:
    client, _, _ = site
    response = client.post(
        PAGE + "/items", data={"district": "南山区", "kind": "summary", "title": "x", "day": "2020-03-02"}
    )
    assert response.status_code == 400


def test_hostile_query_values_are_answered_without_a_500_or_a_reflection(
    site: tuple[FlaskClient, ArchiveStore, dict[str, int]],
) -> None:
    client, _, _ = site
    for payload in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'\x00", "9" * 30, "2020-13-45"):
        for key in ("district", "day"):
            response = client.get(PAGE, query_string={key: payload})
            assert response.status_code in (200, 404), (key, payload)
            assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_a_spec_that_does_not_read_is_shown_with_its_problem(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "broken.yaml").write_text("version: 1\nslug: broken\ntheme: [\n", encoding="utf-8")
    app = campaign_app(tmp_path, folder)
    add_user(app.extensions[STORE_KEY], *STAFF)
    client = app.test_client()
    sign_in(client)
    for page in ("/admin/campaigns/", "/admin/campaigns/broken"):
        response = client.get(page)
        assert response.status_code == 200 and "broken.yaml:4: invalid YAML" in response.get_data(as_text=True)
    app.extensions[STORE_KEY].dispose()


def test_a_districts_staff_see_and_enter_only_their_district(
    site: tuple[FlaskClient, ArchiveStore, dict[str, int]], tmp_path: Path
) -> None:
    from streamkit.web.districts import add_district

    client, store, _ = site
    add_district(store, "nanshan", "南山", ["南山烈士陵园"])
    add_user(store, "nanshan-staff", "south hill keeper 2020", district="nanshan")
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get(PAGE).get_data(as_text=True))})
    assert sign_in(client, "nanshan-staff", "south hill keeper 2020").status_code == 302  # type: ignore[attr-defined]
    html = client.get(PAGE + AS_OF).get_data(as_text=True)
    assert html.count('class="district"') == 1 and "南山区" in html and "北山区" not in html
    assert client.get(PAGE + AS_OF + "&district=北山区").status_code == 404
    token = csrf_token(html)
    with store.session() as session:
        before = len(session.scalars(select(CampaignItem)).all())
    item = {"district": "北山区", "kind": "media_report", "title": "报道", "url": "https://news.example/1"}
    answer = client.post(PAGE + "/items", data={**item, "day": "2020-03-01", "csrf_token": token})
    assert answer.status_code == 400  # another district is not a choice
    with store.session() as session:
        assert len(session.scalars(select(CampaignItem)).all()) == before
