"""Where the ffmpeg and ffprobe binaries are.

The CLI chooses them from settings (``media.ffmpeg``, ``media.ffprobe``) for the whole run of a command. Code that
never passes through the CLI (tests, scripts) gets ``STREAMKIT_MEDIA__FFMPEG`` / ``STREAMKIT_MEDIA__FFPROBE``, else
the names on PATH: the same order as settings, less the file.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from streamkit.errors import ConfigError, MissingToolError

APT_FFMPEG = "apt-get install ffmpeg"


@dataclass(frozen=True)
class MediaTools:
    """The ffmpeg and ffprobe to run: names looked up on PATH, or paths."""

    ffmpeg: str
    ffprobe: str


class _Chosen:
    tools: MediaTools | None = None


@contextmanager
def using_media_tools(tools: MediaTools) -> Iterator[None]:
    """Run these binaries inside the block; the CLI wraps every command in it, with settings.media."""
    # a plain class attribute, not a context variable: render threads must see the choice too
    before, _Chosen.tools = _Chosen.tools, tools
    try:
        yield
    finally:
        _Chosen.tools = before


def media_tools() -> MediaTools:
    """The binaries chosen by ``using_media_tools``, else those named by the environment, else PATH's."""
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
