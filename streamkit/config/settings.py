"""Settings, layered once: model defaults < config/streamkit.yaml < STREAMKIT_* environment < CLI flags.

Nested keys in the environment use a double underscore: ``STREAMKIT_OBS__PORT=4456``,
``STREAMKIT_TARGETS__YOUTUBE__KEY=...``, ``STREAMKIT_LIVE__DESTINATIONS__DOUYIN__KEY=...``. Secrets (the OBS
password, stream keys, the web secret key) may come only from the environment or from the untracked secrets file
(``instance/secrets.yaml`` or the file named by ``STREAMKIT_SECRETS_FILE``); a versioned config file that holds one
is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator

from streamkit.config.loader import Loc, SpecModel, problems_from_validation, read_yaml
from streamkit.errors import ConfigError, ConfigProblem

ENV_PREFIX = "STREAMKIT_"
DEFAULT_CONFIG = Path("config/streamkit.yaml")
DEFAULT_SECRETS = Path("instance/secrets.yaml")

# Key paths that hold secrets; "*" matches any target name.
SECRET_PATHS: tuple[Loc, ...] = (
    ("obs", "password"),
    ("web", "secret_key"),
    ("targets", "*", "key"),
    ("live", "destinations", "*", "key"),
    ("overlays", "publish_token"),
    ("participation", "data_keys"),
)


class ObsSettings(SpecModel):
    host: str = "127.0.0.1"
    port: int = Field(4455, gt=0, lt=65536)
    password: SecretStr | None = None
    request_timeout_s: float = Field(5.0, gt=0)
    # where `streamkit obs launch` keeps its private OBS config, password file and recordings
    launch_dir: Path = Path("var/obs")
    # scene files name media relative to this folder (`streamkit samples var/samples` fills it)
    media_root: Path = Path("var/samples")
    # live overlays (lower-thirds, countdown, slate) are rendered here as PNG and shown by image sources
    overlay_dir: Path = Path("var/overlays")


class StreamTarget(SpecModel):
    """An RTMP destination; the key comes from the environment, never from a versioned file."""

    url: str
    key: SecretStr | None = None


class Destination(SpecModel):
    """One platform the live program is pushed to: its server URL here, its stream key as a secret."""

    # a name from streamkit.live.presets (youtube, douyin, …); fills ``url`` when the platform has a fixed server
    preset: str | None = None
    url: str | None = None  # rtmp://host[:port]/app or rtmps://…; the key is never part of it
    key: SecretStr | None = None  # the rest of the push URL, query string included
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _a_server(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in ("rtmp", "rtmps") or not rest.strip("/"):
            raise ValueError("needs an rtmp:// or rtmps:// server URL")
        if "?" in rest or "@" in rest.partition("/")[0]:
            # a query string or userinfo is part of the key: keep it in the secret, out of versioned files
            raise ValueError("holds a key (query string or user:password); put that part in 'key'")
        return value


class LiveSettings(SpecModel):
    """The local relay and the destinations one program is pushed to at once."""

    destinations: dict[str, Destination] = Field(default_factory=dict)
    run_dir: Path = Path("var/live")  # relay config (0600), HLS, event log and status of the running push
    relay_port: int = Field(19350, gt=0, lt=65536)  # RTMP on 127.0.0.1: OBS publishes rtmp://…/live/program
    relay_http_port: int = Field(19380, gt=0, lt=65536)  # the relay's statistics and HLS on 127.0.0.1
    hls_fragment_s: float = Field(1.0, gt=0, le=10)
    stall_after_s: float = Field(5.0, gt=0)  # no bytes moved on a leg for this long: stalled, then restarted
    connect_timeout_s: float = Field(15.0, gt=0)  # a leg that sent nothing yet gets this long (ffmpeg probes first)
    retry_first_s: float = Field(1.0, gt=0)  # backoff before the first retry, doubled each attempt
    retry_max_s: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1)  # failed starts in a row before a leg is given up ("failed")
    # The program missing this long puts the standby slate on air (the legs and the site's HLS keep going).
    standby_after_s: float = Field(1.0, gt=0, le=30)
    standby_image: Path | None = None  # the slate's picture (scaled to the program); else a dark card with a line


class UploadRendition(SpecModel):
    height: int = Field(gt=0, le=4320)
    bitrate_kbps: int = Field(gt=0)


class UploadSettings(SpecModel):
    """Videos staff upload through the admin (resumable, tus 1.0.0), and what they are transcoded to."""

    # partial uploads and their state; with transcode_on_farm every farm worker must see this folder (e.g. NFS)
    folder: Path = Path("var/uploads")
    max_bytes: int = Field(20 * 2**30, gt=0)  # one recording; larger is refused at creation (413)
    chunk_bytes: int = Field(8 * 2**20, ge=2**16, le=2**30)  # the browser sends this much per request
    expire_hours: float = Field(24.0, gt=0)  # an upload not continued for this long is removed
    # True: transcode on the render farm (settings farm.*, `streamkit farm worker`); False: in a thread of the site
    transcode_on_farm: bool = False
    preset: str = "veryfast"
    crf: int = Field(22, ge=0, le=51)
    # the HLS ladder: the renditions no taller than the video (at least the smallest, at the video's height)
    ladder: list[UploadRendition] = Field(
        default_factory=lambda: [
            UploadRendition(height=1080, bitrate_kbps=5000),
            UploadRendition(height=720, bitrate_kbps=2800),
            UploadRendition(height=360, bitrate_kbps=800),
        ]
    )


class WebSettings(SpecModel):
    database_url: str = "sqlite:///var/streamkit.db"
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(8000, gt=0, lt=65536)
    default_locale: Literal["zh", "en"] = "zh"
    # Where published media (copies, posters, captions) live; served at /media/ with byte ranges.
    media_dir: Path = Path("var/media")
    # Secure cookies need HTTPS; only the development server turns this off.
    secure_cookies: bool = True
    # redis://…, rediss://… or unix://<redis socket>: rate limits and the page cache shared by every worker and
    # machine. Unset: each process keeps its own.
    redis_url: SecretStr | None = None
    # memory:// is per process; redis_url (or a storage URI of the limits package here) shares the limits.
    rate_limit_storage_uri: str = "memory://"
    login_rate_limit: str = "5 per minute"
    # Reverse proxies in front of `web serve --prod`: how many add X-Forwarded-For, and the addresses (comma
    # separated) of the one nearest the site. 0: every X-Forwarded-* header is ignored (gunicorn reached directly).
    proxy_hops: int = Field(0, ge=0, le=5)
    proxy_addresses: str = "127.0.0.1,::1"
    page_size: int = Field(20, gt=0, le=100)
    # Behind nginx (`streamkit web layout`): the internal location /media/ requests are handed to with
    # X-Accel-Redirect, so nginx sends the bytes. Empty: the site sends media files itself.
    media_accel: str = Field("", pattern=r"^(|/[A-Za-z0-9_/-]*/)$")
    # How long a CDN or browser may keep an anonymous public page (Cache-Control max-age; 0: not at all), and serve
    # it stale while it fetches a fresh one.
    public_max_age: int = Field(60, ge=0)
    public_stale_seconds: int = Field(600, ge=0)
    # Tributes without an account: a rate per client address, and a cap per address, martyr and day set high
    # enough that a school class or a family behind one address still counts in full (docs/participation.md).
    tribute_rate_limit: str = "120 per minute"
    tribute_daily_cap: int = Field(200, gt=0)
    # A person writes a few messages of remembrance, not dozens; every one costs a moderator's time.
    message_rate_limit: str = "10 per hour"
    uploads: UploadSettings = UploadSettings()

    @field_validator("login_rate_limit", "tribute_rate_limit", "message_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        # Checked here so a typo fails at start, not at the first sign-in; limits costs 60 ms to import.
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate like '5 per minute'") from None
        return value


class ParticipationSettings(SpecModel):
    """Families' personal data: the keys that seal it, how long it is kept, the private links and forms."""

    # Fernet keys (``streamkit participation new-key``): the first seals, every one opens, so a key is rotated by
    # putting the new one first. In the environment: comma separated. Unset: proxy requests and claims are closed.
    data_keys: list[SecretStr] = Field(default_factory=list)
    retention_days: int = Field(365, ge=1, le=3650)  # after a request is done or cancelled, or a claim closed
    family_link_days: int = Field(90, ge=1, le=3650)  # how long a family's private link opens its page
    photo_set_min: int = Field(3, ge=1, le=20)  # the photos a proxy sweep needs before it can be done
    private_dir: Path = Path("var/private")  # originals and derivatives of families' photos; never under /media/
    request_rate_limit: str = "5 per hour"  # proxy-sweeping requests and relatives' claims per client address

    @field_validator("data_keys", mode="before")
    @classmethod
    def _key_list(cls, value: object) -> object:
        return [k.strip() for k in value.split(",") if k.strip()] if isinstance(value, str) else value

    @field_validator("data_keys")
    @classmethod
    def _fernet_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        import base64
        import binascii

        for number, key in enumerate(value, 1):
            try:
                raw = base64.urlsafe_b64decode(key.get_secret_value().encode("ascii"))
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raw = b""
            if len(raw) != 32:  # the message names the position only, never the key
                raise ValueError(f"key {number} is not a Fernet key (32 url-safe base64 bytes)")
        return value

    @field_validator("request_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate like '5 per hour'") from None
        return value


class MediaSettings(SpecModel):
    # the binaries every command runs (the CLI hands them to streamkit.media.tools): a name on PATH, or a path
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    cjk_font_family: str = "Noto Sans CJK SC"


class OverlaySettings(SpecModel):
    """Overlay look and the browser-source event endpoint."""

    style: str = "memorial"  # a name under overlays/styles/ (or styles_dir), or a YAML path
    styles_dir: Path | None = None  # looked in before ./overlays/styles and the package's own
    publish_token: SecretStr | None = None  # lets other machines POST /overlays/events; unset: this machine only
    # joins the processes serving overlay pages: redis://…, rediss://…, unix://<redis socket>, or hub:///<socket>,
    # where `web serve --prod` starts its embedded hub (unset: on a private socket, for its own workers only)
    channel: str | None = None


class FarmSettings(SpecModel):
    """The render farm: where its queue lives, and the work folder every worker sees (e.g. over NFS)."""

    redis_url: str = "redis://127.0.0.1:6379/0"  # or unix://<redis socket>
    work_dir: Path = Path("farm")  # shared by every worker: chunks by content, each render's scratch files
    job_timeout_seconds: int = 3600  # a step running longer is stopped and failed
    retries: int = 2  # for a step whose worker died or timed out; an ffmpeg error is final
    retry_intervals: list[int] = Field(default_factory=lambda: [10, 60])  # seconds before each retry
    heartbeat_seconds: int = 10  # a worker silent for three of these has died: its step runs elsewhere


class Settings(SpecModel):
    version: Literal[1] = 1
    obs: ObsSettings = ObsSettings()
    web: WebSettings = WebSettings()
    media: MediaSettings = MediaSettings()
    overlays: OverlaySettings = OverlaySettings()
    farm: FarmSettings = FarmSettings()
    participation: ParticipationSettings = ParticipationSettings()
    targets: dict[str, StreamTarget] = Field(default_factory=dict)
    live: LiveSettings = LiveSettings()
    runs_dir: Path = Path("runs")
    output_dir: Path = Path("out")
    campaigns_dir: Path = Path("config/campaigns")  # campaign specs, and their report templates under templates/


def _is_secret(loc: Loc) -> bool:
    return any(
        len(pattern) == len(loc) and all(p in ("*", part) for p, part in zip(pattern, loc, strict=True))
        for pattern in SECRET_PATHS
    )


def _leaves(data: Mapping[str, Any], loc: Loc = ()) -> list[Loc]:
    out: list[Loc] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.extend(_leaves(value, (*loc, key)))
        else:
            out.append((*loc, key))
    return out


def _merge(base: dict[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _set_path(data: dict[str, Any], loc: Loc, value: Any) -> None:
    for part in loc[:-1]:
        data = data.setdefault(str(part), {})
    data[str(loc[-1])] = value


def env_layer(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[Loc, str]]:
    """Settings from ``STREAMKIT_*`` variables, and which variable set each key."""
    layer: dict[str, Any] = {}
    origin: dict[Loc, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "STREAMKIT_SECRETS_FILE":
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if not all(parts):
            continue
        loc = tuple(parts)
        _set_path(layer, loc, value)
        origin[loc] = f"${name}"
    return layer, origin


def load_settings(
    config_path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from every layer and validate once; problems name the file, line or variable."""
    environ = os.environ if environ is None else environ
    explicit = config_path is not None
    path = Path(config_path) if config_path is not None else DEFAULT_CONFIG
    merged: dict[str, Any] = {}
    origin: dict[Loc, str] = {}
    lines: dict[Loc, int] = {}
    problems: list[ConfigProblem] = []

    if path.exists() or explicit:
        data, lines = read_yaml(path)
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError.single(path, "expected a mapping of keys at the top level", line=1)
        if data.get("version") != 1:
            raise ConfigError.single(path, "needs 'version: 1'", line=lines.get(("version",), 1))
        for loc in _leaves(data):
            origin[loc] = str(path)
            if _is_secret(loc):
                problems.append(
                    ConfigProblem(
                        str(path),
                        lines.get(loc),
                        ".".join(map(str, loc)),
                        "secrets do not belong in a versioned file; set "
                        f"{ENV_PREFIX}{'__'.join(map(str, loc)).upper()} or put it in {DEFAULT_SECRETS}",
                    )
                )
        merged = _merge(merged, data)

    secrets_file = Path(environ.get("STREAMKIT_SECRETS_FILE", DEFAULT_SECRETS))
    if secrets_file.exists():
        secrets, _ = read_yaml(secrets_file)
        if secrets is not None and not isinstance(secrets, dict):
            raise ConfigError.single(secrets_file, "expected a mapping of keys at the top level", line=1)
        for loc in _leaves(secrets or {}):
            origin[loc] = str(secrets_file)
        merged = _merge(merged, secrets or {})

    env, env_origin = env_layer(environ)
    origin.update(env_origin)
    merged = _merge(merged, env)
    if overrides:
        for loc in _leaves(overrides):
            origin[loc] = "command line"
        merged = _merge(merged, overrides)
    if problems:
        raise ConfigError(problems)
    merged.setdefault("version", 1)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        found = problems_from_validation(exc, str(path), lines, Settings, merged)
        raise ConfigError([_relocate(p, origin, path) for p in found]) from None


def _relocate(problem: ConfigProblem, origin: Mapping[Loc, str], path: Path) -> ConfigProblem:
    """Point a problem at the layer its value came from (file line, variable or flag)."""
    for loc, source in origin.items():
        if ".".join(map(str, loc)) == problem.field and source != str(path):
            return ConfigProblem(source, None, problem.field, problem.message)
    return problem
