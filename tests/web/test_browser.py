"""The site in Debian's Chromium driven by Playwright: countdown ticks, MP4 plays with captions, live HLS plays
through the vendored hls.js under the strict CSP, a phone-width layout has no sideways scroll, and an admin-created
event reaches the schedule and the calendar."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from streamkit.archive.events import set_event_status
from streamkit.archive.models import EventStatus
from streamkit.archive.publish import publish_media
from streamkit.config.settings import LiveSettings
from streamkit.media.samples import SampleSet
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.archive.conftest import make_event
from tests.web.conftest import ADMIN, SECRET, STAFF, web_settings
from tests.web.live_site import LiveSite, chromium, require_chromium, serving, sign_in
from tests.web.test_admin import event_form

pytestmark = pytest.mark.browser
require_chromium()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    with serving(create_app(web_settings(tmp_path), secret_key=SECRET)) as live:
        yield live


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN")
    tab = context.new_page()
    tab.csp_errors = []
    tab.on("console", lambda m: "Content Security Policy" in m.text and tab.csp_errors.append(m.text))
    yield tab
    context.close()


def test_schedule_countdown_ticks(site: LiveSite, page: Any) -> None:
    make_event(site.store, "两小时后的献花仪式", starts_in=timedelta(hours=2, minutes=30))
    page.goto(f"{site.url}/schedule")
    remaining = page.locator(".countdown .remaining").first
    page.wait_for_function(
        "() => /^\\d\\d:\\d\\d:\\d\\d$/.test(document.querySelector('.countdown .remaining').textContent)"
    )
    first = remaining.text_content()
    # the event starts at a whole minute (its seconds are dropped), 2 h 29–30 min after it was made: the page,
    # read a moment later, shows a little under that (a timezone or hour mistake would be off by an hour or more)
    hours, minutes, seconds = (int(part) for part in first.split(":"))
    assert 2 * 3600 + 28 * 60 <= hours * 3600 + minutes * 60 + seconds <= 2 * 3600 + 30 * 60, first
    page.wait_for_function(
        "(before) => document.querySelector('.countdown .remaining').textContent !== before", arg=first
    )
    assert remaining.text_content() < first  # counting down, not up
    assert page.csp_errors == []


def test_event_page_plays_the_recording_with_captions(
    site: LiveSite, page: Any, samples: SampleSet, vtt_files: tuple[Path, Path]
) -> None:
    event = make_event(site.store, "清明公祭", starts_in=timedelta(days=-1))
    captions, chapters = vtt_files
    publish_media(
        site.store,
        kind="recording",
        title="清明公祭 录像",
        media_path=samples.clips[0],
        duration_ms=3000,
        captions_vtt=captions,
        chapters_vtt=chapters,
        event_slug=event.slug,
    )
    page.goto(f"{site.url}/events/{event.slug}")
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.5")
    page.wait_for_function(
        "() => { const t = document.getElementById('player').textTracks[0];"
        " return t.mode === 'showing' && t.activeCues && t.activeCues.length > 0; }"
    )
    cue = page.evaluate("() => document.getElementById('player').textTracks[0].activeCues[0].text")
    assert cue in ("向英烈默哀", "敬献花篮")
    page.get_by_role("button", name="敬献花篮").click()  # chapter list seeks the player
    page.wait_for_function("() => document.getElementById('player').currentTime >= 2.0")
    assert page.csp_errors == []


def test_live_event_plays_hls_through_vendored_hlsjs(site: LiveSite, page: Any, samples: SampleSet) -> None:
    live_dir = site.store.media_dir / "live"
    live_dir.mkdir(parents=True)
    subprocess.run(
        [
            shutil.which("ffmpeg") or "ffmpeg",
            "-v",
            "error",
            "-i",
            str(samples.clips[0]),
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_playlist_type",
            "vod",
            str(live_dir / "index.m3u8"),
        ],
        check=True,
        timeout=60,
    )
    event = make_event(
        site.store,
        "正在直播",
        starts_in=timedelta(minutes=-5),
        status="live",
        stream_url="/media/live/index.m3u8",
    )
    page.goto(f"{site.url}/events/{event.slug}")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.5", timeout=20_000)
    assert page.evaluate("() => document.getElementById('player').src").startswith("blob:")  # MediaSource: hls.js
    assert page.csp_errors == []


def test_phone_layout_has_no_sideways_scroll(site: LiveSite, browser: Any) -> None:
    make_event(site.store, "手机上看的一个很长很长很长很长很长很长很长很长很长很长的仪式标题")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    for path in ["/", "/schedule", "/archive"]:
        phone.goto(f"{site.url}{path}")
        assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), path
    context.close()


def test_admin_creates_event_that_reaches_schedule_and_calendar(site: LiveSite, page: Any) -> None:
    add_user(site.store, *STAFF, roles=ADMIN)
    page.goto(f"{site.url}/admin/")
    sign_in(page)
    page.get_by_role("link", name="新建活动").click()
    form = event_form("浏览器里新建的公祭")
    page.get_by_label("标题").fill(form["title"])
    page.get_by_label("地点").fill("烈士陵园")
    page.get_by_label("开始（当地时间）").fill(form["start"])
    page.get_by_label("结束（当地时间）").fill(form["end"])
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{site.url}/events/*")
    assert page.locator("h1").text_content() == "浏览器里新建的公祭"
    page.goto(f"{site.url}/schedule")
    assert page.get_by_role("link", name="浏览器里新建的公祭").count() == 1
    calendar = page.request.get(f"{site.url}/schedule.ics").text()
    assert "SUMMARY:浏览器里新建的公祭" in calendar and "LOCATION:烈士陵园" in calendar
    assert page.csp_errors == []


def test_administrator_makes_a_district_moderator_who_sees_only_their_pages(
    site: LiveSite, page: Any, browser: Any
) -> None:
    from streamkit.web.districts import add_district

    add_user(site.store, *STAFF, roles=ADMIN)
    add_district(site.store, "south", "南区", ["南山陵园"])
    page.goto(f"{site.url}/admin/")
    sign_in(page)
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill("南区审核")
    page.get_by_label("初始密码").fill("short")
    page.get_by_label("审核员（感念寄语）").check()
    page.get_by_label("区", exact=True).select_option("south")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("密码至少需要 10 个字符").count() == 1  # beside the field, nothing saved
    page.get_by_label("初始密码").fill("qingming-south-1")
    page.get_by_role("button", name="保存").click()
    row = page.locator("tr[data-user='南区审核']")
    assert "审核员（感念寄语）" in row.text_content() and "南区" in row.text_content()
    moderator = browser.new_context(locale="zh-CN").new_page()
    moderator.goto(f"{site.url}/admin/")
    sign_in(moderator, "南区审核", "qingming-south-1")
    nav = moderator.locator("nav.admin-nav")
    assert nav.get_by_role("link", name="寄语审核").count() == 1
    assert (
        nav.get_by_role("link", name="新建活动").count() == 0 and nav.get_by_role("link", name="账号管理").count() == 0
    )
    assert moderator.goto(f"{site.url}/admin/users/").status == 403
    moderator.context.close()
    assert page.csp_errors == []


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_open_event_page_follows_countdown_live_and_recording_without_reload(
    tmp_path: Path, browser: Any, samples: SampleSet, viewport: dict[str, int] | None
) -> None:
    hls_dir = tmp_path / "live" / "hls"
    hls_dir.mkdir(parents=True)
    settings = web_settings(tmp_path).model_copy(update={"live": LiveSettings(run_dir=tmp_path / "live")})
    site = LiveSite(create_app(settings, secret_key=SECRET))
    phone = {"viewport": viewport, "is_mobile": True, "has_touch": True} if viewport else {}
    context = browser.new_context(locale="zh-CN", **phone)
    try:
        tab = context.new_page()
        event = make_event(site.store, "清明公祭直播", starts_in=timedelta(minutes=1))
        tab.goto(f"{site.url}/events/{event.slug}")
        assert tab.locator(".countdown").count() == 1
        tab.evaluate("() => { window.notReloaded = true; }")  # gone if the page ever reloads
        # the relay's HLS as the site serves it (what the ceremony points the event at)
        subprocess.run(
            [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(samples.clips[0]), "-c", "copy",
             "-f", "hls", "-hls_time", "1", "-hls_segment_filename", str(hls_dir / "program-%d.ts"),
             str(hls_dir / "program.m3u8")],
            check=True, timeout=60,
        )  # fmt: skip
        set_event_status(site.store, event.slug, EventStatus.LIVE, actor="test", stream_url="/live/program.m3u8")
        tab.wait_for_function("() => document.querySelector('video#player[data-hls]') !== null", timeout=30_000)
        tab.wait_for_function("() => document.getElementById('player').currentTime > 0.5", timeout=30_000)
        assert tab.locator(".countdown").count() == 0
        set_event_status(site.store, event.slug, EventStatus.ENDED, actor="test")
        tab.wait_for_function("() => document.querySelector('article.event-page').dataset.status === 'ended'")
        # the tribute block survives the swaps with its script: a tap is counted in place, not by a form post
        tab.locator("form.tribute-form button").first.click()
        tab.wait_for_function("() => document.querySelector('.tribute-count').textContent.trim() === '1'")
        publish_media(
            site.store,
            kind="recording",
            title="清明公祭直播 录像",
            media_path=samples.clips[0],
            duration_ms=3000,
            event_slug=event.slug,
        )
        tab.wait_for_function(
            "() => { const v = document.getElementById('player'); return v && !v.dataset.hls && v.currentSrc; }",
            timeout=30_000,
        )
        assert tab.evaluate("() => window.notReloaded === true")
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert tab.locator("a", has_text="录像").count() >= 1 or tab.locator("video#player").count() == 1
    finally:
        context.close()
        site.stop()


def test_live_hls_is_served_with_cdn_cache_headers(tmp_path: Path) -> None:
    hls_dir = tmp_path / "live" / "hls"
    hls_dir.mkdir(parents=True)
    (hls_dir / "program.m3u8").write_text("#EXTM3U\n#EXTINF:1.0,\n1764000000000.ts\n", encoding="utf-8")
    (hls_dir / "1764000000000.ts").write_bytes(b"\x47" * 188)
    settings = web_settings(tmp_path).model_copy(update={"live": LiveSettings(run_dir=tmp_path / "live")})
    app = create_app(settings, secret_key=SECRET)
    client = app.test_client()
    try:
        with client.get("/live/program.m3u8") as playlist:
            assert playlist.status_code == 200 and playlist.headers["Cache-Control"] == "public, max-age=1"
            assert playlist.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
            assert b"1764000000000.ts" in playlist.data
        with client.get("/live/1764000000000.ts") as fragment:
            assert fragment.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        for wrong in ("/live/..%2Fsite.db", "/live/.program.m3u8", "/live/site.db", "/live/missing.ts"):
            with client.get(wrong) as response:
                assert response.status_code == 404, wrong
    finally:
        app.extensions[STORE_KEY].dispose()
