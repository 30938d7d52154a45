"""Public pages through the Flask test client: every route, the event page's three states, i18n, security."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, abort
from flask.testing import FlaskClient

from streamkit.archive.events import set_event_status
from streamkit.archive.models import ArchiveEntry, EventStatus
from streamkit.archive.publish import publish_media
from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import load_settings
from streamkit.errors import ArchiveError, ConfigError
from streamkit.media.samples import SampleSet
from streamkit.web.app import WEB_ROOT, create_app
from streamkit.web.extensions import STORE_KEY
from tests.archive.conftest import make_event
from tests.web.conftest import SECRET, web_settings

XSS_TITLE = '<script>alert("t")</script>"><img src=x onerror=alert(1)>'
XSS_TEXT = "</script><script>alert('d')</script><a href=\"javascript:alert(2)\">x</a>"


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    with client.get(path) as response:
        assert response.status_code == status, f"{path}: {response.status_code}"
        return response.get_data(as_text=True)


@pytest.fixture
def recorded(store: ArchiveStore, samples: SampleSet, vtt_files: tuple[Path, Path]) -> ArchiveEntry:
    event = make_event(store, "2025清明公祭", starts_in=timedelta(days=-1), venue="烈士陵园")
    captions, chapters = vtt_files
    return publish_media(
        store,
        kind="recording",
        title="2025清明公祭 录像",
        media_path=samples.clips[0],
        duration_ms=3000,
        poster=samples.photos[0],
        captions_vtt=captions,
        chapters_vtt=chapters,
        tags=["公祭"],
        event_slug=event.slug,
    )


def test_every_public_route_answers(client: FlaskClient, store: ArchiveStore, recorded: ArchiveEntry) -> None:
    upcoming = make_event(store, "明日献花")
    routes = {
        "/": "明日献花",
        "/schedule": "明日献花",
        f"/events/{upcoming.slug}": "距开始还有",
        "/archive": "2025清明公祭 录像",
        f"/watch/{recorded.id}": "2025清明公祭 录像",
        "/schedule.ics": "BEGIN:VCALENDAR",
        "/archive.atom": "2025清明公祭 录像",
        "/archive.rss": "2025清明公祭 录像",
        "/api/events": "明日献花",
        "/api/archive": "2025清明公祭 录像",
        "/static/vendor/hls.min.js": "Hls",
    }
    for path, expected in routes.items():
        assert expected in page(client, path), path
    with client.get(f"/media/{recorded.media_file}") as response:
        assert response.status_code == 200
    assert client.get("/lang/en?next=/archive").headers["Location"] == "/archive"


def test_home_shows_live_banner_next_countdown_and_latest(
    client: FlaskClient, store: ArchiveStore, recorded: ArchiveEntry
) -> None:
    live = make_event(store, "正在进行的默哀仪式", starts_in=timedelta(minutes=-5), status="live")
    make_event(store, "下周献花", starts_in=timedelta(days=7))
    html = page(client, "/")
    banner = html.split('class="live-banner"')[1].split("</section>")[0]
    assert live.slug in banner
    assert "下周献花" in html.split('class="next"')[1].split("</section>")[0]
    assert 'class="countdown" data-start="' in html
    assert f"/watch/{recorded.id}" in html


def test_one_event_page_from_upcoming_to_live_to_recording(
    client: FlaskClient, store: ArchiveStore, samples: SampleSet
) -> None:
    event = make_event(store, "清明公祭", stream_url="https://live.example/hls/index.m3u8")
    url = f"/events/{event.slug}"
    upcoming = page(client, url)
    assert 'class="countdown"' in upcoming and f"/events/{event.slug}.ics" in upcoming and "<video" not in upcoming
    with store.transaction() as session:
        session.merge(event).status = "live"
    live = page(client, url)
    assert 'data-hls="https://live.example/hls/index.m3u8"' in live and "vendor/hls.min.js" in live
    publish_media(
        store,
        kind="recording",
        title="清明公祭 录像",
        media_path=samples.clips[0],
        duration_ms=3000,
        event_slug=event.slug,
    )
    recording = page(client, url)
    assert "data-hls" not in recording and 'type="video/mp4"' in recording and 'class="countdown"' not in recording
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', recording, re.S).group(1))  # type: ignore[union-attr]
    assert ld["@type"] == "BroadcastEvent" and ld["workPerformed"]["@type"] == "VideoObject"
    assert ld["workPerformed"]["duration"] == "PT0H0M3S"


def test_an_event_set_live_shows_the_player_and_an_overrun_event_reads_as_ended(
    client: FlaskClient, store: ArchiveStore
) -> None:
    event = make_event(store, "即将直播", starts_in=timedelta(minutes=-1))
    set_event_status(store, event.slug, EventStatus.LIVE, actor="runner", stream_url="https://l.example/live.m3u8")
    assert 'data-hls="https://l.example/live.m3u8"' in page(client, f"/events/{event.slug}")
    assert store.audit_log()[0].action == "event.live" and store.audit_log()[0].actor == "runner"
    with pytest.raises(ArchiveError, match="https://"):
        set_event_status(store, event.slug, EventStatus.LIVE, actor="runner", stream_url="javascript:alert(1)")
    overrun = make_event(store, "忘了结束的仪式", starts_in=timedelta(hours=-3), status="live")
    html = page(client, f"/events/{overrun.slug}")
    assert 'data-status="ended"' in html and "data-hls" not in html and "录像将在这里发布" in html


def test_cancelled_event_says_so(client: FlaskClient, store: ArchiveStore) -> None:
    event = make_event(store, "取消的仪式", status="cancelled")
    html = page(client, f"/events/{event.slug}")
    assert "本次仪式已取消" in html and 'class="countdown"' not in html
    assert "取消的仪式" in page(client, "/schedule").split('class="past"')[1]


def test_entry_page_has_player_captions_chapters_og_and_jsonld(client: FlaskClient, recorded: ArchiveEntry) -> None:
    html = page(client, f"/watch/{recorded.id}")
    assert f'<track kind="captions" srclang="zh" label="中文" src="/media/{recorded.captions_file}" default>' in html
    assert 'data-seek="2.0"' in html and "敬献花篮" in html
    assert '<meta property="og:type" content="video.other">' in html
    assert f'<meta property="og:image" content="http://localhost/media/{recorded.poster_file}">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert ld["@type"] == "VideoObject" and ld["contentUrl"] == f"http://localhost/media/{recorded.media_file}"


def test_entry_with_only_an_hls_url_uses_the_hls_player(client: FlaskClient, store: ArchiveStore) -> None:
    with store.transaction() as session:
        session.add(ArchiveEntry(title="HLS 回放", kind="recording", hls_url="https://v.example/replay/index.m3u8"))
    html = page(client, "/watch/1")
    assert 'data-hls="https://v.example/replay/index.m3u8"' in html and "<source" not in html
    assert "vendor/hls.min.js" in html


def test_archive_filters_and_pagination_links_keep_filters(client: FlaskClient, store: ArchiveStore) -> None:
    with store.transaction() as session:
        for n in range(45):
            entry = ArchiveEntry(
                title=f"导览 {n:02d}", kind="tour", media_url="https://v.example/t.mp4", campaign="清明"
            )
            entry.tags = ArchiveStore.tags_for(session, ["英烈"] if n < 30 else [])
            session.add(entry)
    html = page(client, "/archive?tag=英烈&page=2")
    assert "第 2 页，共 2 页" in html and "共 30 条" in html
    assert 'href="/archive?page=1&amp;tag=%E8%8B%B1%E7%83%88"' in html
    assert "共 0 条" in page(client, "/archive?q=不存在")
    page(client, "/archive?page=abc", 400)
    page(client, "/archive?kind=<script>", 400)


def test_unpublished_and_missing_entries_are_404(client: FlaskClient, store: ArchiveStore) -> None:
    with store.transaction() as session:
        session.add(ArchiveEntry(title="草稿", kind="tour", media_url="https://v.example/d.mp4", published=False))
    assert "页面不存在" in page(client, "/watch/1", 404)
    page(client, "/events/no-such-event", 404)
    page(client, "/media/../site.db", 404)
    page(client, "/media/%2e%2e/site.db", 404)


def test_media_is_served_with_byte_ranges(client: FlaskClient, recorded: ArchiveEntry, samples: SampleSet) -> None:
    whole = samples.clips[0].read_bytes()
    url = f"/media/{recorded.media_file}"
    with client.get(url, headers={"Range": "bytes=100-199"}) as response:
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
        assert response.data == whole[100:200]
        assert response.headers["Accept-Ranges"] == "bytes"
    with client.get(url) as response:
        etag = response.headers["ETag"]
        assert response.data == whole
    with client.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304
    with client.get(f"/media/{recorded.captions_file}") as response:
        assert response.mimetype == "text/vtt"


def test_user_text_is_inert_everywhere(client: FlaskClient, store: ArchiveStore, samples: SampleSet) -> None:
    event = make_event(store, XSS_TITLE, description=XSS_TEXT, venue=XSS_TITLE)
    entry = publish_media(
        store,
        kind="tour",
        title=XSS_TITLE,
        media_path=samples.clips[0],
        duration_ms=1000,
        description=XSS_TEXT,
        tags=[XSS_TITLE],
    )
    for path in ["/", "/schedule", f"/events/{event.slug}", "/archive", f"/watch/{entry.id}"]:
        html = page(client, path)
        assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript:' not in html, path
        # Every <script> is ours: an external file or the JSON-LD data block.
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag or tag == '<script type="application/ld+json">', (path, tag)
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page(client, f"/watch/{entry.id}")


def test_security_headers_and_no_inline_code(client: FlaskClient, store: ArchiveStore) -> None:
    make_event(store)
    response = client.get("/schedule")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert " style=" not in html and "<style" not in html and " onclick=" not in html


def test_session_and_language_cookies_are_secure_by_default(tmp_path: Path) -> None:
    app = create_app(web_settings(tmp_path, secure_cookies=True), secret_key=SECRET)
    client = app.test_client()
    login = client.get("/admin/login", base_url="https://localhost")
    cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    lang = client.get("/lang/en", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in lang and "HttpOnly" in lang
    app.extensions[STORE_KEY].dispose()


def test_a_bad_rate_limit_setting_is_a_config_error() -> None:
    # refused when the settings are read, before any app exists and long before the first sign-in
    with pytest.raises(ConfigError, match=r"STREAMKIT_WEB__LOGIN_RATE_LIMIT: web\.login_rate_limit: 'five a minute'"):
        load_settings(None, environ={"STREAMKIT_WEB__LOGIN_RATE_LIMIT": "five a minute"})


def test_errors_show_plain_pages_without_tracebacks(app: Flask, client: FlaskClient) -> None:
    def boom() -> str:
        raise RuntimeError("secret internals /etc/passwd")

    def forbidden() -> str:
        abort(403)

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/forbidden", view_func=forbidden)
    html = page(client, "/boom", 500)
    assert "Traceback" not in html and "secret internals" not in html and "服务器出错了" in html
    assert "您无权打开此页面" in page(client, "/forbidden", 403)
    assert "页面不存在" in page(client, "/nowhere", 404)
    assert client.get("/api/nowhere").json == {"error": 404, "message": ""}
    too_big = client.post("/admin/login", data={"username": "x" * (2 << 20)})
    assert too_big.status_code == 413 and "太大" in too_big.get_data(as_text=True)


def test_chinese_first_english_switchable(client: FlaskClient) -> None:
    assert "<h1>日程</h1>" in page(client, "/schedule")
    assert "<h1>Schedule</h1>" in page(client, "/schedule?lang=en")
    client.get("/lang/en")
    assert "<h1>Schedule</h1>" in page(client, "/schedule")
    assert client.get("/lang/fr").status_code == 404
    assert client.get("/lang/zh?next=//evil.example/").headers["Location"] == "/"


def test_compiled_catalog_matches_the_source_and_is_complete() -> None:
    folder = WEB_ROOT / "translations" / "zh" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with (folder / "messages.mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert all(source.values()), [k for k, v in source.items() if not v]
    assert compiled == source


def test_page_cache_sees_changes_at_once_and_answers_304(client: FlaskClient, store: ArchiveStore) -> None:
    first = client.get("/schedule")
    assert "新增的仪式" not in first.get_data(as_text=True) and first.headers["X-Cache"] == "MISS"
    again = client.get("/schedule")
    assert again.headers["X-Cache"] == "HIT" and again.data == first.data
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "X-Streamkit-Cache" not in again.headers and "X-Streamkit-Cache" not in first.headers
    assert client.get("/schedule", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get("/schedule?lang=en").headers["X-Cache"] == "MISS"  # another language, another page
    forged = client.get("/schedule", headers={"Host": "evil.example"})
    assert forged.headers["X-Cache"] == "MISS"  # a forged Host gets its own entry, never the shared one
    assert "evil.example" not in client.get("/schedule").get_data(as_text=True)
    make_event(store, "新增的仪式")
    changed = client.get("/schedule", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "新增的仪式" in changed.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/archive?year=99999", 400),
        ("/archive?year=-5", 400),
        ("/archive?page=-3", 200),
        ("/archive?page=99999999999999999999", 200),
        ("/archive?q=%00&tag=%ff", 200),
        ("/api/archive?page=999999999999999999999", 200),
        ("/watch/99999999999999999999999", 404),
        ("/watch/0", 404),
        ("/events/%00", 404),
        ("/events/..%2f..%2fsite.db.ics", 404),
        ("/media/%00", 404),
        ("/api/events?when=%00", 400),
    ],
)
def test_odd_input_never_breaks_the_site(client: FlaskClient, path: str, status: int) -> None:
    body = page(client, path, status)
    assert "Traceback" not in body
