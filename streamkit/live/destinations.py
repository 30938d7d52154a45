"""Destinations resolved from settings: server plus key, platform presets, and the server/key split of a push URL.

Platforms hand out a push URL in two parts: a server ``rtmp://host/app`` and a stream key that is everything after
the application, *query string included* (Chinese platforms sign keys with ``?txSecret=…&txTime=…`` or similar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streamkit.config.settings import Destination, LiveSettings
from streamkit.errors import ConfigError, ConfigProblem
from streamkit.live.masking import mask_url


@dataclass(frozen=True)
class Preset:
    """A platform's usual push setup; ``server`` is None where the platform issues one per broadcast."""

    label: str
    server: str | None = None


PRESETS: dict[str, Preset] = {
    "youtube": Preset("YouTube", "rtmps://a.rtmps.youtube.com:443/live2"),
    "twitch": Preset("Twitch", "rtmp://live.twitch.tv/app"),
    "facebook": Preset("Facebook", "rtmps://live-api-s.facebook.com:443/rtmp"),
    # these issue the server with each broadcast (paste it into ``url``); the key keeps its query string
    "douyin": Preset("抖音 Douyin"),
    "kuaishou": Preset("快手 Kuaishou"),
    "toutiao": Preset("今日头条 Toutiao"),
    "weixin": Preset("微信视频号 WeChat Channels"),
    "weibo": Preset("微博 Weibo"),
    "bilibili": Preset("哔哩哔哩 Bilibili"),
    "huya": Preset("虎牙 Huya"),
    "custom": Preset("any RTMP/RTMPS server"),
}


def split_push_url(full: str) -> tuple[str, str]:
    """A whole push URL as (server, key): the server ends at the application, the key keeps the query string."""
    scheme, sep, rest = full.partition("://")
    authority, _, path = rest.partition("/")
    app, _, key = path.partition("/")
    if not sep or not authority or not app or not key or "?" in app:
        raise ValueError(f"{mask_url(full)} is not a push URL of the form rtmp://host/app/key")
    return f"{scheme}://{authority}/{app}", key


def join_push_url(server: str, key: str) -> str:
    return server.rstrip("/") + "/" + key.lstrip("/")


@dataclass(frozen=True)
class Target:
    """A destination ready to push to; ``key`` is the secret stream key and stays out of repr."""

    name: str
    server: str
    key: str = field(repr=False)
    enabled: bool = True

    @property
    def push_url(self) -> str:
        """The full URL with the key: only for the process that pushes, never for display."""
        return join_push_url(self.server, self.key)

    @property
    def shown(self) -> str:
        return mask_url(self.push_url)

    @property
    def protocol(self) -> str:
        return self.server.partition("://")[0].upper()


def resolve(live: LiveSettings, *, source: str = "settings") -> list[Target]:
    """Every destination as a Target; all problems (unknown preset, no server, no key) reported together."""
    targets: list[Target] = []
    problems: list[ConfigProblem] = []
    for name, dest in live.destinations.items():
        target, problem = _resolve_one(name, dest)
        if problem:
            problems.append(ConfigProblem(source, None, f"live.destinations.{name}", problem))
        elif target is not None:
            targets.append(target)
    if problems:
        raise ConfigError(problems)
    return targets


def _resolve_one(name: str, dest: Destination) -> tuple[Target | None, str]:
    preset = PRESETS.get(dest.preset or "custom")
    if preset is None:
        return None, f"unknown preset {dest.preset!r}; known: {', '.join(sorted(PRESETS))}"
    server = dest.url or preset.server
    if server is None:
        return None, f"{preset.label} gives a server URL with each broadcast; set 'url'"
    if dest.key is None or not dest.key.get_secret_value().strip():
        if not dest.enabled:
            return None, ""  # switched off and not set up yet: nothing to push, nothing wrong
        env = f"STREAMKIT_LIVE__DESTINATIONS__{name.upper()}__KEY"
        return None, f"no stream key; set {env} or put it in the secrets file"
    return Target(name, server, dest.key.get_secret_value().strip(), dest.enabled), ""
