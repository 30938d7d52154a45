"""Tributes and messages in Debian's Chromium: a tap updates the count (and the running campaign's figure on
another page) without a reload, under the strict CSP; with JavaScript off the same tap posts the form and the page
comes back counted; a message goes through the moderation queue before it appears on the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from streamkit.participation.models import TributeKind
from streamkit.participation.tributes import martyr_counts, tribute_day
from streamkit.web.accounts import add_user
from tests.archive.conftest import make_event
from tests.participation.conftest import live_register_site
from tests.participation.test_campaign_tributes import write_campaign
from tests.web.conftest import ADMIN, STAFF, web_settings
from tests.web.live_site import LiveSite, require_chromium, sign_in

pytestmark = pytest.mark.browser

sync_api = require_chromium()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    with live_register_site(tmp_path, web_settings(tmp_path)) as live:
        yield live


def test_a_tap_updates_the_count_without_a_reload(site: LiveSite, browser: Any) -> None:
    page = browser.new_page(locale="zh-CN")
    csp_errors: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
    loads: list[str] = []
    page.goto(f"{site.url}/martyrs/1")
    page.on("load", lambda _: loads.append(page.url))
    flowers = page.locator('.tribute-count[data-kind="flower"]')
    assert flowers.text_content() == "0"
    button = page.get_by_role("button", name="献花")
    button.click()
    sync_api.expect(flowers).to_have_text("1")
    button.click()
    sync_api.expect(flowers).to_have_text("2")  # each tap has its own key: two taps, two tributes
    sync_api.expect(page.locator(".tribute-status")).to_have_text("谢谢，您的心意已记下。")
    assert loads == [] and page.url == f"{site.url}/martyrs/1" and csp_errors == []
    assert martyr_counts(site.store, 1)[TributeKind.FLOWER] == 2


def test_without_javascript_the_form_posts_and_comes_back_counted(site: LiveSite, browser: Any) -> None:
    page = browser.new_context(locale="zh-CN", java_script_enabled=False).new_page()
    page.goto(f"{site.url}/martyrs/2")
    page.get_by_role("button", name="鞠躬").click()
    page.wait_for_url("**/martyrs/2?offered=bow#tributes")
    assert page.locator('.tribute-count[data-kind="bow"]').text_content() == "1"
    assert martyr_counts(site.store, 2)[TributeKind.BOW] == 1


def test_a_message_waits_for_the_moderator_then_appears(site: LiveSite, browser: Any) -> None:
    visitor = browser.new_page(locale="zh-CN")
    visitor.goto(f"{site.url}/martyrs/3")
    visitor.get_by_label("寄语", exact=True).fill("英烈千古！有事请拨 138-0013-8000")
    visitor.get_by_role("button", name="发送").click()
    visitor.wait_for_url("**/martyrs/3/messages/received")
    assert "审核后将在页面上显示" in visitor.content()
    visitor.goto(f"{site.url}/martyrs/3")
    assert "英烈千古！" not in visitor.content()

    add_user(site.store, *STAFF, roles=ADMIN)
    staff = browser.new_page(locale="zh-CN")
    staff.goto(f"{site.url}/admin/messages/")
    sign_in(staff)
    staff.goto(f"{site.url}/admin/messages/")
    sync_api.expect(staff.locator("#message-1 mark.review")).to_have_text("138-0013-8000")
    staff.locator("#message-1").get_by_role("button", name="通过", exact=True).click()
    sync_api.expect(staff.locator(".flash")).to_contain_text("寄语已通过")
    visitor.goto(f"{site.url}/martyrs/3")
    sync_api.expect(visitor.locator(".messages blockquote")).to_contain_text("英烈千古！")


@pytest.mark.parametrize("where", ["martyr", "event"])
def test_a_tap_in_one_page_shows_in_another_without_a_reload(site: LiveSite, browser: Any, where: str) -> None:
    path = "/martyrs/1"
    if where == "event":
        path = f"/events/{make_event(site.store, venue='南山烈士陵园').slug}"
    watching, tapping = browser.new_page(locale="zh-CN"), browser.new_page(locale="zh-CN")
    reloads: list[str] = []
    watching.goto(f"{site.url}{path}")
    watching.on("load", lambda _: reloads.append(watching.url))
    tapping.goto(f"{site.url}{path}")
    candles = watching.locator('.tribute-count[data-kind="candle"]')
    sync_api.expect(candles).to_have_text("0")
    tapping.get_by_role("button", name="点烛").click()
    sync_api.expect(tapping.locator('.tribute-count[data-kind="candle"]')).to_have_text("1")
    # the watching page polls the live counts every few seconds: the tap shows there, with the day's totals
    sync_api.expect(candles).to_have_text("1", timeout=30_000)
    sync_api.expect(watching.locator('.tribute-total[data-total="today"]')).to_have_text("1", timeout=30_000)
    assert reloads == []


def test_a_tap_on_a_martyrs_page_moves_the_campaign_figure_on_an_event_page(tmp_path: Path, browser: Any) -> None:
    today = tribute_day()
    folder = write_campaign(tmp_path / "campaigns", start=today - timedelta(days=1), end=today + timedelta(days=1))
    settings = web_settings(tmp_path).model_copy(update={"campaigns_dir": folder.parent})
    with live_register_site(tmp_path, settings) as site:
        event = make_event(site.store, venue="南山烈士陵园")  # the martyr's cemetery: one campaign for both
        watching, tapping = browser.new_page(locale="zh-CN"), browser.new_page(locale="zh-CN")
        reloads: list[str] = []
        watching.goto(f"{site.url}/events/{event.slug}")
        watching.on("load", lambda _: reloads.append(watching.url))
        figure = watching.locator('.tribute-total[data-total="campaign"]')
        sync_api.expect(figure).to_have_text("0")
        tapping.goto(f"{site.url}/martyrs/1")
        sync_api.expect(tapping.locator('.tribute-total[data-total="campaign"]')).to_have_text("0")
        tapping.get_by_role("button", name="献花").click()
        sync_api.expect(tapping.locator('.tribute-count[data-kind="flower"]')).to_have_text("1")
        sync_api.expect(figure).to_have_text("1", timeout=30_000)  # by the event page's polling, no reload
        assert reloads == []
