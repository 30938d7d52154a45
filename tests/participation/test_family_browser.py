"""Families' pages in Debian's Chromium: the proxy-sweeping request from a martyr's page, the staff's photo upload
through the checks, the family's private page (photos shown, noindex) and the relatives list with its claim form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from streamkit.participation.relatives import mark_sought
from streamkit.participation.sealed import Sealer
from streamkit.participation.sweep_photos import add_sweep_photo
from streamkit.participation.sweeping import (
    SweepRequest,
    finish_sweep,
    issue_link,
    schedule_sweep,
    set_checklist,
    submit_sweep,
)
from streamkit.web.accounts import add_user
from tests.participation.conftest import live_register_site
from tests.participation.family import KEY, blurred_photo, family_settings, sharp_photo
from tests.web.conftest import ADMIN, STAFF
from tests.web.live_site import LiveSite, require_chromium, sign_in

pytestmark = pytest.mark.browser

sync_api = require_chromium()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    with live_register_site(tmp_path, family_settings(tmp_path)) as live:
        yield live


def test_a_family_requests_proxy_sweeping_from_the_martyrs_page(site: LiveSite, browser: Any) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{site.url}/martyrs/1")
    page.get_by_role("link", name="亲属不能前来？申请代为祭扫").click()
    page.wait_for_url("**/martyrs/1/proxy-sweep")
    assert "保存期限" in page.content()
    page.get_by_label("您的姓名").fill("欧阳澈蓁")
    page.get_by_label("与烈士的关系（如：孙子、侄女）").fill("孙女")
    page.get_by_label("手机号码").fill("139 8765 01")
    page.get_by_role("button", name="提交代祭扫申请").click()
    sync_api.expect(page.locator(".field.invalid .error-msg").first).to_be_visible()
    assert "中国大陆 11 位手机号码" in page.content() and "请阅读并勾选同意" in page.content()
    sync_api.expect(page.get_by_label("您的姓名")).to_have_value("欧阳澈蓁")  # what was typed is kept
    page.get_by_label("手机号码").fill("+86 139-8765-0123")
    page.get_by_label("我已阅读并同意上述用途和保存期限").check()
    page.get_by_role("button", name="提交代祭扫申请").click()
    page.wait_for_url("**/martyrs/1/proxy-sweep/received")
    assert "申请已收到" in page.content() and "欧阳澈蓁" not in page.content()


def test_staff_upload_refuses_a_blurred_photo_with_its_reason(site: LiveSite, browser: Any, tmp_path: Path) -> None:
    sealer = Sealer([SecretStr(KEY)])
    sweep_id = submit_sweep(site.store, sealer, 1, SweepRequest("欧阳澈蓁", "孙女", "13987650123", date.today()))
    assert sweep_id is not None
    add_user(site.store, *STAFF, roles=ADMIN)
    (tmp_path / "blurred.jpg").write_bytes(blurred_photo())
    (tmp_path / "sharp.jpg").write_bytes(sharp_photo(7))
    staff = browser.new_page(locale="zh-CN")
    staff.goto(f"{site.url}/admin/login")
    sign_in(staff)
    staff.goto(f"{site.url}/admin/family/sweeps/{sweep_id}")
    assert "13987650123" in staff.content()
    staff.get_by_label("选择照片").set_input_files([str(tmp_path / "blurred.jpg"), str(tmp_path / "sharp.jpg")])
    staff.get_by_role("button", name="上传并检查").click()
    sync_api.expect(staff.locator("tr.refused")).to_contain_text("照片模糊")
    sync_api.expect(staff.locator("tr.accepted")).to_contain_text("已通过")
    thumbs = staff.locator("figure.thumb img")
    sync_api.expect(thumbs).to_have_count(1)
    assert thumbs.first.evaluate("img => img.complete && img.naturalWidth") == 1200


def test_the_familys_private_page_shows_the_photos_and_is_noindex(site: LiveSite, browser: Any) -> None:
    sealer = Sealer([SecretStr(KEY)])
    sweep_id = submit_sweep(site.store, sealer, 3, SweepRequest("欧阳澈蓁", "孙女", "13987650123", date.today()))
    assert sweep_id is not None
    schedule_sweep(site.store, sweep_id, date.today(), actor="test")
    set_checklist(site.store, sweep_id, {"wiped", "flowers", "photos", "called"}, actor="test")
    private_dir = site.app.extensions["streamkit_participation"].private_dir
    for seed in (1, 2):
        assert add_sweep_photo(site.store, sweep_id, sharp_photo(seed), private_dir, actor="test").photo_id
    finish_sweep(site.store, sweep_id, actor="test", photo_set_min=2)
    token = issue_link(site.store, sweep_id, actor="test", days=30)

    page = browser.new_page(locale="zh-CN")
    response = page.goto(f"{site.url}/family/{token}")
    assert response.status == 200
    assert "noindex" in response.headers["x-robots-tag"] and "no-store" in response.headers["cache-control"]
    assert page.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")
    assert "13987650123" not in page.content()
    images = page.locator(".photo-set img")
    sync_api.expect(images).to_have_count(2)
    for index in range(2):
        images.nth(index).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(index).element_handle())
    assert images.first.evaluate("img => img.naturalWidth") == 1200
    gone = page.goto(f"{site.url}/family/{token[:-2]}xx")
    assert gone.status == 404


def test_the_relatives_list_leads_to_a_claim(site: LiveSite, browser: Any) -> None:
    mark_sought(site.store, 3, "家乡可能在江西吉安", actor="test")
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{site.url}/martyrs")
    page.get_by_role("link", name="为烈士寻亲").click()
    page.wait_for_url("**/relatives")
    row = page.locator("table.relatives-list tbody tr")
    sync_api.expect(row).to_have_count(1)
    sync_api.expect(row).to_contain_text("家乡可能在江西吉安")
    row.get_by_role("link", name="提供线索").click()
    page.wait_for_url("**/relatives/3/claim")
    page.get_by_label("您的姓名").fill("司马黛琳")
    page.get_by_label("联系方式（手机号码或其他）").fill("15812349876")
    page.get_by_role("button", name="提交线索").click()
    sync_api.expect(page.locator(".field.invalid .error-msg").first).to_contain_text("请写下您所知道的情况")
    page.get_by_label("您所知道的情况（亲属关系、家乡、参军时间、书信等）").fill("我爷爷的哥哥1948年参军，再无音讯")
    page.get_by_label("我已阅读并同意上述用途和保存期限").check()
    page.get_by_role("button", name="提交线索").click()
    page.wait_for_url("**/relatives/3/claim/received")
    assert "线索已收到" in page.content() and "司马黛琳" not in page.content()
