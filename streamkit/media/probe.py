"""Probe a media file once with ``ffprobe -of json`` into a frozen MediaInfo (cached while the file is unchanged);
open a picture with Pillow's limits turned into MediaError. Damaged or hostile files are refused here, once."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from streamkit.cache import cache_dir, mark_used
from streamkit.errors import MediaError
from streamkit.media.runner import run_tool
from streamkit.media.tools import ffprobe_binary


@dataclass(frozen=True, slots=True)
class VideoStream:
    index: int
    codec: str
    width: int
    height: int
    fps: Fraction  # average frame rate; r_fps differs from it in variable-frame-rate files
    r_fps: Fraction
    time_base: Fraction
    rotation: int  # degrees clockwise the picture must be turned for display: 0, 90, 180, 270
    pix_fmt: str
    duration_ms: int | None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after rotation."""
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)

    @property
    def is_variable_frame_rate(self) -> bool:
        return self.fps != self.r_fps and self.fps > 0


@dataclass(frozen=True, slots=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int
    channels: int
    channel_layout: str
    duration_ms: int | None


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: Path
    format_name: str
    duration_ms: int
    size_bytes: int
    video: tuple[VideoStream, ...]
    audio: tuple[AudioStream, ...]

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def has_video(self) -> bool:
        return bool(self.video)

    @property
    def duration_s(self) -> float:
        return self.duration_ms / 1000


PROBE_CACHE_VERSION = "1"
# Nothing a tour or a ceremony uses lasts a day; a longer duration is a damaged or forged header, and believing it
# would plan hours of frames or a progress bar that never ends.
MAX_DURATION_MS = 24 * 3600 * 1000

# Pillow only warns between its limit and twice its limit; a picture that large is refused like a bigger one.
warnings.simplefilter("error", Image.DecompressionBombWarning)


def probe_argv(path: Path, ffprobe: str = "ffprobe") -> list[str]:
    return [
        ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
        "--", str(path),
    ]  # fmt: skip


def probe(path: str | Path, *, timeout_s: float = 30.0, remember: bool = False) -> MediaInfo:
    """Describe ``path``; a missing, empty or unreadable file raises MediaError naming it. With ``remember``
    ffprobe's report is kept in the cache and read back while the file is unchanged (for inputs that are
    probed again and again, like a tour's media; not for outputs, each of them new)."""
    path = Path(path)
    if not path.exists():
        raise MediaError(path, "file not found")
    if path.is_dir():
        raise MediaError(path, "is a folder, not a media file")
    if path.stat().st_size == 0:
        raise MediaError(path, "file is empty (0 bytes)")
    ffprobe = ffprobe_binary()
    cached = _cached_report(path, ffprobe) if remember else None
    if cached is not None:
        # none yet, or damaged (unreadable, not JSON, not ffprobe's shape): probe again
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError, MediaError):
            info = parse_probe_json(path, json.loads(cached.read_text(encoding="utf-8")))
            mark_used(cached)
            return info
    argv = probe_argv(path, ffprobe)
    try:
        done = run_tool(argv, timeout_s=timeout_s)
    except subprocess.TimeoutExpired:
        raise MediaError(path, f"ffprobe did not finish within {timeout_s:g} s") from None
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        reason = stderr.splitlines()[-1] if stderr else "unreadable"
        reason = reason.replace(str(path) + ": ", "")
        raise MediaError(path, f"not a readable media file ({reason})")
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise MediaError(path, "ffprobe returned unreadable output") from None
    info = parse_probe_json(path, data)
    if cached is None:
        return info
    with contextlib.suppress(OSError):  # a cache: not keeping the report loses nothing
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, prefix=".", suffix=".partial", delete=False) as partial:
            partial.write(done.stdout)
        os.replace(partial.name, cached)  # whole or not at all, even with renders probing side by side
    return info


def _cached_report(path: Path, ffprobe: str) -> Path:
    """Where ffprobe's report on ``path`` is kept: keyed by the file's path, size and modification time and by the
    ffprobe binary. A render probes every clip and sound of its tour (~0.12 s of CPU each), and a tour is
    rendered again and again while it is edited."""
    stat = path.stat()
    key = f"{PROBE_CACHE_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{ffprobe}"
    return cache_dir("probes") / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def _fraction(text: Any) -> Fraction:
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return Fraction(0)
    return value


def _ms(seconds: Any) -> int | None:
    try:
        return round(float(seconds) * 1000)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    """Clockwise display rotation. ffprobe's display matrix gives counter-clockwise degrees (-90 = turn right)."""
    degrees: float | None = None
    for side in stream.get("side_data_list", ()):
        if "rotation" in side:
            degrees = -float(side["rotation"])
    if degrees is None and "rotate" in stream.get("tags", {}):
        degrees = float(stream["tags"]["rotate"])
    return round(degrees or 0) % 360


def parse_probe_json(path: Path, data: dict[str, Any]) -> MediaInfo:
    """Turn ffprobe's JSON into MediaInfo (pure; tested with recorded JSON)."""
    fmt = data.get("format", {})
    streams = data.get("streams", [])
    video = tuple(
        VideoStream(
            index=int(s["index"]),
            codec=s.get("codec_name", "unknown"),
            width=int(s.get("width", 0)),
            height=int(s.get("height", 0)),
            fps=_fraction(s.get("avg_frame_rate", "0/1")),
            r_fps=_fraction(s.get("r_frame_rate", "0/1")),
            time_base=_fraction(s.get("time_base", "0/1")),
            rotation=_rotation(s),
            pix_fmt=s.get("pix_fmt", ""),
            duration_ms=_ms(s.get("duration")),
        )
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    )
    audio = tuple(
        AudioStream(
            index=int(s["index"]),
            codec=s.get("codec_name", "unknown"),
            sample_rate=int(s.get("sample_rate", 0)),
            channels=int(s.get("channels", 0)),
            channel_layout=s.get("channel_layout", ""),
            duration_ms=_ms(s.get("duration")),
        )
        for s in streams
        if s.get("codec_type") == "audio"
    )
    if not video and not audio:
        raise MediaError(path, "has no audio or video stream")
    duration = _ms(fmt.get("duration"))
    if duration is None:
        durations = [s.duration_ms or 0 for s in video] + [s.duration_ms or 0 for s in audio]
        duration = max(durations, default=0)
    if not 0 <= duration <= MAX_DURATION_MS:
        raise MediaError(path, f"claims a duration of {duration / 3_600_000:.1f} h (more than "
                         f"{MAX_DURATION_MS // 3_600_000} h, or negative): a damaged or forged header")  # fmt: skip
    return MediaInfo(
        path=path,
        format_name=fmt.get("format_name", ""),
        duration_ms=duration,
        size_bytes=int(fmt.get("size", 0) or 0),
        video=video,
        audio=audio,
    )


@contextmanager
def open_image(path: str | Path) -> Iterator[Image.Image]:
    """Open a picture with Pillow; a missing, unreadable, too large (decompression bomb) or text-stuffed file raises
    MediaError naming it, also when it fails while the pixels are decoded inside the block."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            yield img
    except FileNotFoundError:
        raise MediaError(path, "file not found") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(path, f"picture too large to decode safely ({exc})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        # ValueError: Pillow's cap on compressed text chunks (zTXt, iTXt) and other impossible headers
        raise MediaError(path, f"not a readable image ({exc})") from None


def probe_image(path: str | Path) -> tuple[int, int]:
    """Width and height of a picture whose pixels all decode (within Pillow's limits); MediaError otherwise."""
    with open_image(path) as img:
        img.load()
        return img.size
