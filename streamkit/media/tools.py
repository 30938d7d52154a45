"""Where the ffmpeg and ffprobe binaries are.

The CLI chooses them once, from settings (``media.ffmpeg``, ``media.ffprobe``), before any command runs. Code that
never passes through the CLI (tests, scripts) gets ``STREAMKIT_MEDIA__FFMPEG`` / ``STREAMKIT_MEDIA__FFPROBE``, else
the names on PATH: the same order as settings, less the file.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from streamkit.errors import ConfigError, MissingToolError

APT_FFMPEG = "apt-get install ffmpeg"


@dataclass(frozen=True)
class MediaTools:
    """The ffmpeg and ffprobe to run: names looked up on PATH, or paths."""

    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"


class _Chosen:
    tools: MediaTools | None = None


def use_media_tools(tools: MediaTools) -> None:
    """Run these binaries from now on (the CLI passes settings.media here at start)."""
    _Chosen.tools = tools


def media_tools() -> MediaTools:
    """The binaries chosen by ``use_media_tools``, else those named by the environment, else PATH's."""
    if _Chosen.tools is not None:
        return _Chosen.tools
    return MediaTools(
        os.environ.get("STREAMKIT_MEDIA__FFMPEG", "ffmpeg"), os.environ.get("STREAMKIT_MEDIA__FFPROBE", "ffprobe")
    )


def ffmpeg_binary() -> str:
    return _find(media_tools().ffmpeg, "ffmpeg")


def ffprobe_binary() -> str:
    return _find(media_tools().ffprobe, "ffprobe")


def _find(name: str, tool: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.sep in name:  # a wrong path in the settings: installing would not help
            raise ConfigError.single("settings", f"{name} is not an executable program", field=f"media.{tool}")
        raise MissingToolError(tool, "media work", APT_FFMPEG)
    return found
