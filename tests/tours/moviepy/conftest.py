"""moviepy fixtures: a private cache folder, tiny specs over the session samples, both engines rendered once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from streamkit.media.samples import SampleSet
from streamkit.tours.render import RenderOptions, RenderResult, render_tour
from tests.tours.conftest import write_spec

WIDTH, HEIGHT = 320, 180

# trims on whole source frames (0.4 s at 25 fps): where a trim falls between two frames the engines may pick
# neighbouring frames (see docs/decisions-moviepy.md), which is not what this spec is about
EQUIVALENCE_SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25", crf: 18, preset: veryfast}}
defaults:
  transition: {{name: fade, duration: 0.4}}
  captions: {{max_chars: 12}}
title: {{lines: [烈士陵园导览, Memorial Tour], duration: 1.2}}
stops:
  - title: 陵园大门
    clip: {{path: clips/memorial-gate.mp4, start: 0.4, end: 2.0, volume: 0.5}}
    captions:
      - {{text: 欢迎来到烈士陵园。, start: 0.2, end: 1.0}}
  - title: 英烈墓区
    photos: {{paths: [photos/tomb-002.jpg, photos/tomb-011.jpg], seconds: 2.4, move: auto}}
    lower_third: {{name: 王志国, detail: 1921—1947, start: 0.2, duration: 1.0}}
  - title: 手机竖拍
    clip: {{path: clips/phone-portrait.mp4, end: 1.2}}
    transition: {{name: cut}}
outro: {{lines: [英烈永垂不朽], duration: 1.0}}
narration:
  - {{path: audio/narration-3.m4a, at: 0.3}}
music:
  - {{path: audio/music-bed.m4a, volume: 0.4}}
logo: {{path: logo.png, corner: top-right, width: 0.1, margin: 6}}
"""


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Stills and effect segments go to a fresh cache, so hits and misses are this test run's own."""
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@dataclass(frozen=True)
class EngineRenders:
    spec: Path
    ffmpeg: RenderResult
    moviepy: RenderResult


@pytest.fixture(scope="session")
def engine_renders(samples: SampleSet, tmp_path_factory: pytest.TempPathFactory) -> EngineRenders:
    """The equivalence spec rendered once with each engine."""
    folder = tmp_path_factory.mktemp("engines")
    spec = write_spec(folder, EQUIVALENCE_SPEC.format(root=samples.folder))
    quiet = RenderOptions(show_progress=False)
    by_ffmpeg = render_tour(spec, folder / "ffmpeg" / "tour.mp4", quiet)
    by_moviepy = render_tour(
        spec, folder / "moviepy" / "tour.mp4", RenderOptions(show_progress=False, engine="moviepy")
    )
    return EngineRenders(spec, by_ffmpeg, by_moviepy)


def rgb_frames(path: Path) -> np.ndarray:
    """Every frame of a 320x180 video as (n, 180, 320, 3) int16 (room for differences)."""
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(done.stdout, np.uint8).reshape(-1, HEIGHT, WIDTH, 3).astype(np.int16)
