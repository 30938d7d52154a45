"""How ``ceremony run`` wires the live push: OBS goes to the relay only when destinations are set, and the event
page turns live (on the site's own HLS) and ended through the archive."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from streamkit.archive.store import ArchiveStore
from streamkit.ceremony.cli import SITE_LIVE_PLAYLIST, _live, _set_event
from streamkit.config.settings import Destination, LiveSettings, Settings, WebSettings
from tests.archive.conftest import make_event


def _settings(tmp_path: Path, **destinations: Destination) -> Settings:
    return Settings(
        web=WebSettings(database_url=f"sqlite:///{tmp_path / 'site.db'}", media_dir=tmp_path / "media"),
        live=LiveSettings(run_dir=tmp_path / "live", destinations=destinations),
    )


def test_obs_goes_to_the_relay_only_with_an_enabled_destination(tmp_path: Path) -> None:
    assert _live(_settings(tmp_path), None) is None
    off = Destination(url="rtmp://192.168.1.20/live", key=SecretStr("k-off"), enabled=False)
    assert _live(_settings(tmp_path, hall=off), None) is None
    on = Destination(url="rtmp://push.example.cn/live", key=SecretStr("k-on?sign=s"))
    live = _live(_settings(tmp_path, douyin=on, hall=off), None)
    assert live is not None and live.names() == ["douyin", "hall"]
    assert live.destination.url == "rtmp://127.0.0.1:19350/live" and live.destination.key == "program"
    assert "k-on" not in repr(live.destination)


def test_the_event_turns_live_on_the_site_hls_then_ended(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = ArchiveStore(settings.web.database_url, settings.web.media_dir)
    try:
        event = make_event(store, "清明公祭")
        _set_event(settings, event.slug, "live")
        live = store.event_by_slug(event.slug)
        assert live is not None and (live.status, live.stream_url) == ("live", SITE_LIVE_PLAYLIST)
        _set_event(settings, event.slug, "ended")
        ended = store.event_by_slug(event.slug)
        assert ended is not None and ended.status == "ended"
    finally:
        store.dispose()
