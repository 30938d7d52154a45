"""The versions of the tools that made a file, for manifests: the pictures depend on them."""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

X264_BANNER = re.compile(rb"x264 - core (\d+(?: r\d+ [0-9a-f]+)?)")


@lru_cache(maxsize=8)
def ffmpeg_version(ffmpeg_bin: str) -> str:
    """``5.1.9-0+deb12u1`` for ffmpeg 5.1.9 as Debian ships it, or ``unknown``."""
    done = subprocess.run([ffmpeg_bin, "-hide_banner", "-version"], capture_output=True, text=True, check=False)
    found = re.search(r"ffmpeg version (\S+)", done.stdout)
    return found.group(1) if found else "unknown"


def x264_version(video: Path, head_bytes: int = 1 << 20) -> str | None:
    """The x264 core and revision that encoded ``video`` (from the settings banner x264 writes into its first
    frame), or None for a file x264 did not make."""
    with video.open("rb") as handle:
        found = X264_BANNER.search(handle.read(head_bytes))
    return found.group(1).decode("ascii") if found else None
