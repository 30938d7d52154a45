"""Where the ffmpeg and ffprobe binaries are; overridable by settings or STREAMKIT_MEDIA__FFMPEG."""

from __future__ import annotations

import os
import shutil

from streamkit.errors import MissingToolError

APT_FFMPEG = "apt-get install ffmpeg"


def ffmpeg_binary() -> str:
    return _find(os.environ.get("STREAMKIT_MEDIA__FFMPEG", "ffmpeg"), "ffmpeg")


def ffprobe_binary() -> str:
    return _find(os.environ.get("STREAMKIT_MEDIA__FFPROBE", "ffprobe"), "ffprobe")


def _find(name: str, tool: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MissingToolError(tool, "media work", APT_FFMPEG)
    return found
