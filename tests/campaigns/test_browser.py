"""The campaign dashboard in Debian's Chromium under the site's strict CSP: the quota tables, the SVG chart drawn
on the server, and a media report entered through the form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamkit.web.accounts import add_user
from tests.campaigns.conftest import seed
from tests.campaigns.test_dashboard import AS_OF, PAGE, campaign_app
from tests.web.conftest import STAFF
from tests.web.live_site import LiveSite, chromium, require_chromium, serving, sign_in

pytestmark = pytest.mark.browser

sync_api = require_chromium()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    with serving(campaign_app(tmp_path)) as live:
        seed(live.store)
        add_user(live.store, *STAFF)
        yield live


@pytest.fixture
def staff_page(site: LiveSite) -> Iterator[Any]:
    with chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.csp_errors = []
        page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
        page.goto(f"{site.url}/admin/login")
        sign_in(page)
        page.wait_for_url("**/admin/")
        yield page


def test_the_dashboard_shows_the_quota_tables_and_the_chart(site: LiveSite, staff_page: Any) -> None:
    page = staff_page
    page.goto(f"{site.url}{PAGE}{AS_OF}")
    south = page.locator('section.district[data-district="南山区"]')
    hall = south.locator('tr[data-quota="hall-items"]')
    sync_api.expect(hall.locator("td.count")).to_have_text("3")
    sync_api.expect(hall.locator("td.status")).to_have_text("滞后")
    sync_api.expect(south.locator('tr[data-quota="relatives"] td.status')).to_have_text("已完成")
    sync_api.expect(page.locator('#roll-up tr[data-quota="hall-items"] td.count')).to_have_text("3")
    chart = page.locator("figure.chart svg.daily-chart")
    sync_api.expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert chart.locator("rect.bar").count() == 80  # two panels of 40 days
    tallest = chart.locator("rect.bar").nth(1).bounding_box()  # 11 February: 2 flowers, the panel's peak
    assert tallest is not None and tallest["height"] > 50
    assert page.csp_errors == []


def test_a_media_report_entered_in_the_form_counts_at_once(site: LiveSite, staff_page: Any) -> None:
    page = staff_page
    page.goto(f"{site.url}{PAGE}{AS_OF}")
    form = page.locator("#items form")
    form.get_by_label("区").select_option("北山区")
    form.get_by_label("类型").select_option("media_report")
    form.get_by_label("标题").fill("北山区网上祭英烈见闻")
    form.get_by_label("网址").fill("ftp://news.example/beishan")
    form.get_by_label("日期").fill("2020-03-02")
    form.get_by_role("button", name="保存").click()
    sync_api.expect(page.locator("#items .error-msg")).to_have_text("网址须以 http:// 或 https:// 开头")
    form = page.locator("#items form")
    form.get_by_label("网址").fill("https://news.example/beishan")
    form.get_by_role("button", name="保存").click()
    sync_api.expect(page.locator(".flash")).to_contain_text("事项已保存")
    page.goto(f"{site.url}{PAGE}{AS_OF}&district=北山区")
    north = page.locator('section.district[data-district="北山区"]')
    sync_api.expect(north.locator('tr[data-quota="media-reports"] td.count')).to_have_text("1")
    sync_api.expect(page.locator("#items a", has_text="北山区网上祭英烈见闻")).to_have_attribute(
        "href", "https://news.example/beishan"
    )
    assert page.csp_errors == []
