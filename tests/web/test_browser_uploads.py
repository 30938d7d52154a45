"""A video uploaded through the admin page in Debian's Chromium: sent in several tus chunks with the progress bar,
transcoded in the background, then played on its entry page (through the vendored hls.js, under the CSP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from tests.web.conftest import ADMIN, SECRET, STAFF
from tests.web.live_site import LiveSite, serving, sign_in
from tests.web.test_browser import browser, page
from tests.web.uploads_helpers import make_video, upload_settings

__all__ = ["browser", "page"]  # the browser fixtures, shared with the other browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHUNK = 64 * 1024  # the smallest chunk the settings allow: the small video goes in several


@pytest.fixture
def upload_site(tmp_path: Path) -> Iterator[LiveSite]:
    with serving(create_app(upload_settings(tmp_path, chunk_bytes=CHUNK), secret_key=SECRET)) as live:
        yield live


def test_an_admin_upload_is_transcoded_and_plays(upload_site: LiveSite, page: Any, tmp_path: Path) -> None:
    video = make_video(tmp_path / "ceremony.mp4", seconds=2.0)
    assert video.stat().st_size > 2 * CHUNK
    add_user(upload_site.store, *STAFF, roles=ADMIN)
    page.goto(f"{upload_site.url}/admin/")
    sign_in(page)
    page.get_by_role("link", name="上传视频").click()
    patches: list[str] = []
    page.on("request", lambda request: request.method == "PATCH" and patches.append(request.url))

    page.get_by_role("button", name="上传").click()  # no file chosen: a message beside the field, nothing sent
    page.wait_for_selector("#field-video .error-msg")
    assert page.locator("#field-video .error-msg").text_content() == "请选择视频文件。"
    page.get_by_label("视频文件").set_input_files(str(video))
    page.get_by_role("button", name="上传").click()  # no title: the site's message beside it, still nothing sent
    page.wait_for_selector(".field.invalid #title")
    assert page.locator(".field.invalid .error-msg").first.text_content()
    assert patches == []
    page.get_by_label("标题").fill("浏览器上传的公祭录像")
    page.get_by_label("视频文件").set_input_files(str(video))
    page.get_by_role("button", name="上传").click()
    page.wait_for_selector("#upload-progress:not([hidden])")
    page.wait_for_selector("#upload-entry:not([hidden])", timeout=180_000)
    assert page.locator("#upload-bar").get_attribute("value") == "100"
    assert page.locator("#upload-label").text_content() == "已发布"
    assert len(patches) >= 3 and len(set(patches)) == 1  # one upload, in chunks

    page.locator("#upload-entry a").click()
    page.wait_for_url(f"{upload_site.url}/watch/*")
    assert page.locator("h1").text_content() == "浏览器上传的公祭录像"
    assert page.locator("#player").get_attribute("data-hls", timeout=5000)
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => { const v = document.getElementById('player'); return v.readyState >= 2 && v.currentTime > 0.3; }",
        timeout=30_000,
    )
    assert page.csp_errors == []
