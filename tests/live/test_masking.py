"""Masking stream keys: a table of URLs and texts, and the settings' handling of destination keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.config.settings import load_settings
from streamkit.errors import ConfigError
from streamkit.live.destinations import PRESETS, Target, join_push_url, resolve, split_push_url
from streamkit.live.masking import mask_url, redact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtmp://push.example.cn/live/abc123", "rtmp://push.example.cn/live/***"),
        ("rtmp://push.example.cn/live", "rtmp://push.example.cn/live"),
        ("rtmp://push.example.cn/live/", "rtmp://push.example.cn/live/"),
        ("rtmps://a.rtmps.youtube.com:443/live2/k/with/slashes", "rtmps://a.rtmps.youtube.com:443/live2/***"),
        (
            "rtmp://p.example.cn/app/stream-1?txSecret=9f8e&txTime=65A0",
            "rtmp://p.example.cn/app/***?txSecret=***&txTime=***",
        ),
        ("rtmp://user:p@ss@host:1935/app/key", "rtmp://***@host:1935/app/***"),
        ("https://cdn.example.org/hls/program.m3u8?token=s3cr3t", "https://cdn.example.org/hls/program.m3u8?token=***"),
        ("http://127.0.0.1:8080/stat", "http://127.0.0.1:8080/stat"),
        ("rtmp://host/app/key#frag", "rtmp://host/app/***"),
        ("rtmp://host/app?flag", "rtmp://host/app?flag"),
        ("not a url with key", "***"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_redact_masks_urls_and_known_keys_in_free_text() -> None:
    key = "live_8d7f/secret?sig=abc"
    text = (
        "[tcp @ 0x1] Connection to tcp://push.example.cn:1935 failed\n"
        f"rtmp://push.example.cn/app/{key}: Connection refused\n"
        "Error opening output live_8d7f%2Fsecret%3Fsig%3Dabc and live_8d7f/secret?sig=abc"
    )
    out = redact(text, [key])
    assert "8d7f" not in out and "sig=abc" not in out
    assert "rtmp://push.example.cn/app/***: Connection refused" in out
    assert "tcp://push.example.cn:1935 failed" in out


def test_split_keeps_the_query_string_in_the_key() -> None:
    full = "rtmp://push-rtmp-l1.douyincdn.com/thirdgame/stream-1?expire=1&sign=ab%3D"
    server, key = split_push_url(full)
    assert (server, key) == ("rtmp://push-rtmp-l1.douyincdn.com/thirdgame", "stream-1?expire=1&sign=ab%3D")
    assert join_push_url(server + "/", key) == full
    with pytest.raises(ValueError, match=r"rtmp://host/app\?sig=\*\*\* is not a push URL") as info:
        split_push_url("rtmp://host/app?sig=zz99")
    assert "zz99" not in str(info.value)


def test_target_repr_hides_the_key() -> None:
    target = Target("douyin", "rtmp://h/app", "k-123456?sig=zz")
    assert "k-123456" not in repr(target) and "zz" not in target.shown
    assert target.push_url == "rtmp://h/app/k-123456?sig=zz" and target.protocol == "RTMP"


def _settings(tmp_path: Path, yaml: str, environ: dict[str, str]) -> list[Target]:
    config = tmp_path / "streamkit.yaml"
    config.write_text(yaml, encoding="utf-8")
    env = {"STREAMKIT_SECRETS_FILE": str(tmp_path / "none.yaml"), **environ}
    return resolve(load_settings(config, environ=env).live)


def test_destinations_from_config_with_keys_from_the_environment(tmp_path: Path) -> None:
    yaml = (
        "version: 1\nlive:\n  destinations:\n"
        "    douyin: {preset: douyin, url: 'rtmp://push.example.cn/thirdgame'}\n"
        "    yt: {preset: youtube}\n"
        "    spare: {url: 'rtmp://spare.example.org/live', enabled: false}\n"
    )
    env = {
        "STREAMKIT_LIVE__DESTINATIONS__DOUYIN__KEY": "s-1?sign=q",
        "STREAMKIT_LIVE__DESTINATIONS__YT__KEY": "abcd-efgh",
    }
    targets = _settings(tmp_path, yaml, env)
    assert [(t.name, t.push_url) for t in targets] == [
        ("douyin", "rtmp://push.example.cn/thirdgame/s-1?sign=q"),
        ("yt", f"{PRESETS['youtube'].server}/abcd-efgh"),
    ]
    assert targets[1].protocol == "RTMPS"


def test_a_key_in_a_versioned_file_is_refused_and_not_echoed(tmp_path: Path) -> None:
    yaml = "version: 1\nlive:\n  destinations:\n    d: {url: 'rtmp://h/app', key: 'leaked-key-1'}\n"
    with pytest.raises(ConfigError, match=r"live\.destinations\.d\.key: secrets do not belong") as info:
        _settings(tmp_path, yaml, {})
    assert "leaked-key-1" not in str(info.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{url: 'rtmp://h/app?sig=1'}", "holds a key"),
        ("{url: 'rtmp://u:p@h/app'}", "holds a key"),
        ("{url: 'http://h/app'}", "rtmp:// or rtmps://"),
    ],
)
def test_server_urls_that_would_leak_or_cannot_push_are_refused(tmp_path: Path, entry: str, message: str) -> None:
    yaml = f"version: 1\nlive:\n  destinations:\n    d: {entry}\n"
    with pytest.raises(ConfigError, match=message) as info:
        _settings(tmp_path, yaml, {})
    assert "sig=1" not in str(info.value) and "u:p" not in str(info.value)


def test_every_problem_of_every_destination_at_once(tmp_path: Path) -> None:
    yaml = (
        "version: 1\nlive:\n  destinations:\n"
        "    a: {preset: nope}\n    b: {preset: kuaishou}\n    c: {url: 'rtmp://h/app'}\n"
    )
    with pytest.raises(ConfigError) as info:
        _settings(tmp_path, yaml, {"STREAMKIT_LIVE__DESTINATIONS__B__KEY": "kkkk"})
    assert [p.message.split(";")[0] for p in info.value.problems] == [
        "unknown preset 'nope'",
        "快手 Kuaishou gives a server URL with each broadcast",
        "no stream key",
    ]
