"""moviepy bound to streamkit's ffmpeg: the one place that imports moviepy.

moviepy picks its ffmpeg *at import time* (``moviepy/config.py``): unless ``FFMPEG_BINARY`` is set it uses the
binary bundled with imageio-ffmpeg, a different build from the one the rest of streamkit runs (other codecs,
other bugs). Every moviepy module copies the name with ``from moviepy.config import FFMPEG_BINARY``, so we set
the environment before the first import, and re-point every module's copy afterwards in case something imported
moviepy earlier. ``moviepy_ffmpeg()`` reports what moviepy will really run, for ``streamkit doctor`` and tests.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

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


def _closing_pipes(close: Callable[..., None]) -> Callable[..., None]:
    """A reader ``close`` that also closes the pipes of an ffmpeg that has already exited.

    moviepy 2.2.1 closes ``proc.stdout``/``stderr`` only while ffmpeg is still running; a reader that read to the
    end (or re-seeks after that) leaks both pipes until garbage collection, one ``ResourceWarning`` each, and in a
    long tour a file descriptor per clip.
    """

    @functools.wraps(close)
    def close_all(self: Any, *args: Any, **kwargs: Any) -> None:
        proc = getattr(self, "proc", None)
        close(self, *args, **kwargs)
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None and not pipe.closed:
                    pipe.close()
            proc.wait()

    close_all.streamkit_patched = True  # type: ignore[attr-defined]
    return close_all


def _fix_reader_leaks() -> None:
    readers = (
        importlib.import_module("moviepy.audio.io.readers").FFMPEG_AudioReader,
        importlib.import_module("moviepy.video.io.ffmpeg_reader").FFMPEG_VideoReader,
    )
    for reader in readers:
        if not getattr(reader.close, "streamkit_patched", False):
            reader.close = _closing_pipes(reader.close)


def load_moviepy() -> ModuleType:
    """Import moviepy with streamkit's ffmpeg (``media.ffmpeg`` of the settings, see ``tools``); return it."""
    binary = ffmpeg_binary()
    os.environ["FFMPEG_BINARY"] = binary
    os.environ["IMAGEIO_FFMPEG_EXE"] = binary  # imageio's own lookup, should anything ask it
    moviepy = importlib.import_module("moviepy")
    for name in _FFMPEG_USERS:
        module = sys.modules.get(name) or importlib.import_module(name)
        module.FFMPEG_BINARY = binary  # type: ignore[attr-defined]
    _fix_reader_leaks()
    return moviepy


def moviepy_ffmpeg() -> dict[str, str]:
    """Which ffmpeg each moviepy module will run (after ``load_moviepy``): module name -> path."""
    load_moviepy()
    return {name: str(getattr(sys.modules[name], "FFMPEG_BINARY", "?")) for name in _FFMPEG_USERS}


def moviepy_version() -> str:
    from importlib.metadata import version

    return version("moviepy")
