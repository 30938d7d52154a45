"""moviepy bound to streamkit's ffmpeg: the one place that imports moviepy.

moviepy picks its ffmpeg *at import time* (``moviepy/config.py``): unless ``FFMPEG_BINARY`` is set it uses the
binary bundled with imageio-ffmpeg, a different build from the one the rest of streamkit runs (other codecs,
other bugs). Every moviepy module copies the name with ``from moviepy.config import FFMPEG_BINARY``, so we set
the environment before the first import, and re-point every module's copy afterwards in case something imported
moviepy earlier. ``moviepy_ffmpeg()`` reports what moviepy will really run, for ``streamkit doctor`` and tests.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from streamkit.media.tools import ffmpeg_binary

# the moviepy modules that start ffmpeg, each holding its own copy of FFMPEG_BINARY (moviepy 2.1-2.2)
_FFMPEG_USERS = (
    "moviepy.config",
    "moviepy.audio.io.readers",
    "moviepy.audio.io.ffmpeg_audiowriter",
    "moviepy.video.io.ffmpeg_reader",
    "moviepy.video.io.ffmpeg_writer",
    "moviepy.video.io.ffmpeg_tools",
)


def load_moviepy() -> ModuleType:
    """Import moviepy with streamkit's ffmpeg (``STREAMKIT_MEDIA__FFMPEG`` or ``ffmpeg`` on PATH); return it."""
    binary = ffmpeg_binary()
    os.environ["FFMPEG_BINARY"] = binary
    os.environ["IMAGEIO_FFMPEG_EXE"] = binary  # imageio's own lookup, should anything ask it
    moviepy = importlib.import_module("moviepy")
    for name in _FFMPEG_USERS:
        module = sys.modules.get(name) or importlib.import_module(name)
        module.FFMPEG_BINARY = binary  # type: ignore[attr-defined]
    return moviepy


def moviepy_ffmpeg() -> dict[str, str]:
    """Which ffmpeg each moviepy module will run (after ``load_moviepy``): module name -> path."""
    load_moviepy()
    return {name: str(getattr(sys.modules[name], "FFMPEG_BINARY", "?")) for name in _FFMPEG_USERS}


def moviepy_version() -> str:
    from importlib.metadata import version

    return version("moviepy")
