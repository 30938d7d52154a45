"""Effects on stops: spec checking with file:line, the two shipped effects, pre-render and its cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from streamkit.media.moviepy_binding import load_moviepy
from streamkit.media.probe import probe
from streamkit.media.samples import SampleSet
from streamkit.tours.check import check_tour
from streamkit.tours.effects.candle_glow import candle_glow, flicker, vignette_mask
from streamkit.tours.effects.name_roll import name_roll, whole_pixel_speed
from streamkit.tours.effects.segments import prerender_effect_stops
from streamkit.tours.render import RenderOptions, render_tour
from tests.conftest import run_cli
from tests.tours.moviepy.conftest import rgb_frames, write_spec

GLOW = "streamkit.tours.effects.candle_glow:candle_glow"
ROLL = "streamkit.tours.effects.name_roll:name_roll"

BAD_EFFECTS = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25"}}
stops:
  - title: 一
    photos: {{paths: [photos/tomb-001.jpg], seconds: 2}}
    effects:
      - use: streamkit.tours.effects.nowhere:glow
  - title: 二
    photos: {{paths: [photos/tomb-002.jpg], seconds: 2}}
    effects:
      - use: {glow}
        params:
          brightness: 2
  - title: 三
    photos: {{paths: [photos/tomb-003.jpg], seconds: 2}}
    effects:
      - use: {glow}
        params: {{strength: lots}}
  - title: 四
    card: {{lines: [英名录], duration: 1}}
    effects:
      - use: {roll}
        params: {{register: no-such-register.csv}}
  - title: 五
    card: {{lines: [英名录], duration: 1}}
    effects:
      - use: my_effects:missing
"""


def test_check_reports_every_bad_effect_at_its_line(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, BAD_EFFECTS.format(root=samples.folder, glow=GLOW, roll=ROLL))
    (tmp_path / "my_effects.py").write_text("def present(clip):\n    return clip\n")
    done = run_cli(["tour", "check", str(spec)])
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 5, done.stderr
    expected = [
        (":8: stops[0].effects[0].use:", "cannot import 'streamkit.tours.effects.nowhere'"),
        (":14: stops[1].effects[0].params.brightness:", "unknown parameter"),
        (":19: stops[2].effects[0].params.strength:", "'lots' is not valid"),
        (":24: stops[3].effects[0].params.register:", "no-such-register.csv: file not found"),
        (":28: stops[4].effects[0].use:", "'my_effects' has no 'missing'"),
    ]
    for line, (where, what) in zip(lines, expected, strict=True):
        assert line.startswith("error: ")
        assert where in line and what in line, line
    assert "Traceback" not in done.stderr


def test_malformed_callable_path_is_a_spec_error_with_line(samples: SampleSet, tmp_path: Path) -> None:
    text = BAD_EFFECTS.format(root=samples.folder, glow=GLOW, roll=ROLL).replace(
        "streamkit.tours.effects.nowhere:glow", "candle glow please"
    )
    spec = write_spec(tmp_path, text)
    out = tmp_path / "out.mp4"
    done = run_cli(["tour", "render", str(spec), "-o", str(out)])
    assert done.returncode == 1
    assert ":8: stops[0].effects[0].use: " in done.stderr and "package.module:function" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_candle_glow_warms_darkens_corners_and_flickers_deterministically() -> None:
    mp = load_moviepy()
    grey = mp.ColorClip((64, 36), color=(128, 128, 128), duration=2).with_fps(25)
    glowing = candle_glow(grey, strength=0.1, warmth=0.2, vignette=0.5)
    frame = glowing.get_frame(0.5).astype(int)
    centre, corner = frame[18, 32], frame[0, 0]
    assert centre[0] > centre[1] > centre[2]  # warm: red up, blue down
    assert corner.sum() < 0.7 * centre.sum()  # vignette
    brightness = [glowing.get_frame(t).mean() for t in np.arange(0, 2, 0.04)]
    assert max(brightness) - min(brightness) > 3  # it flickers
    assert np.array_equal(glowing.get_frame(1.0), candle_glow(grey, 0.1, 0.2, 0.5).get_frame(1.0))
    assert all(abs(flicker(t, 0.06, 7) - 1) <= 0.06 + 1e-9 for t in np.arange(0, 10, 0.01))
    assert vignette_mask(8, 8, 0.5)[4, 4, 0] > vignette_mask(8, 8, 0.5)[0, 0, 0]


def test_name_roll_scrolls_every_name_at_a_whole_pixel_step(samples: SampleSet) -> None:
    assert whole_pixel_speed(70, 25) == 75 and whole_pixel_speed(3, 25) == 25
    mp = load_moviepy()
    card = mp.ColorClip((320, 180), color=(10, 10, 20), duration=1).with_fps(25)
    rolled = name_roll(card, samples.register, speed=50, limit=12)
    assert rolled.duration > 4  # longer than the card: the stop lasts as long as the roll
    a, b = rolled.get_frame(2.0).astype(int), rolled.get_frame(2.04).astype(int)
    assert a.max() > 150  # names are drawn
    step = 2  # 50 px/s at 25 fps
    middle = slice(60, 120)
    assert np.abs(b[middle] - a[middle.start + step : middle.stop + step]).mean() < 1.0
    assert np.abs(b[middle] - a[middle]).mean() > 1.0  # and it really moved


EFFECT_TOUR = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25", crf: 22}}
defaults: {{transition: {{name: fade, duration: 0.2}}}}
stops:
  - title: 墓碑
    photos: {{paths: [photos/tomb-004.jpg], seconds: 1.2, move: in}}
    effects:
      - {{use: "{glow}", params: {{strength: 0.08}}}}
  - title: 英名录
    card: {{lines: [英名录], duration: 0.6}}
    effects:
      - {{use: "{roll}", params: {{register: register.csv, speed: 150, limit: 6}}}}
"""


@pytest.mark.slow
def test_effect_stops_are_prerendered_and_reused(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, EFFECT_TOUR.format(root=samples.folder, glow=GLOW, roll=ROLL))
    first = render_tour(spec, tmp_path / "a.mp4", RenderOptions(show_progress=False))
    assert [(s.stop, s.cached) for s in first.effect_segments] == [(0, False), (1, False)]
    roll_segment = first.effect_segments[1].path
    assert roll_segment.suffix == ".mkv" and probe(roll_segment).duration_ms > 1500
    # the roll made the last stop longer than its 0.6 s card, and the plan followed
    assert first.timeline.chapters[1].end_ms - first.timeline.chapters[1].start_ms > 1500
    assert abs(probe(tmp_path / "a.mp4").duration_ms - first.timeline.duration_ms) <= 40
    frames = rgb_frames(tmp_path / "a.mp4")
    assert frames[-20:].max() > 150  # names scroll through the outro

    stamps = [os.stat(s.path).st_mtime_ns for s in first.effect_segments]
    second = render_tour(spec, tmp_path / "b.mp4", RenderOptions(show_progress=False))
    assert [(s.stop, s.cached) for s in second.effect_segments] == [(0, True), (1, True)]
    assert [os.stat(s.path).st_mtime_ns for s in second.effect_segments] == stamps
    assert second.timeline == first.timeline

    # a dry run plans with the same segments, so the commands it prints are the ones a real run executes
    console = Console(record=True, width=100_000)
    dry = render_tour(spec, tmp_path / "c.mp4", RenderOptions(show_progress=False, dry_run=True), console=console)
    assert dry.timeline == first.timeline and not (tmp_path / "c.mp4").exists()
    printed = console.export_text()
    assert all(f"-i {s.path}" in printed for s in first.effect_segments)
    shutil.rmtree(printed.strip().splitlines()[-1].split(" kept in ")[1].split(" (")[0])


@pytest.mark.slow
def test_changed_stop_or_effect_code_renders_again(samples: SampleSet, tmp_path: Path) -> None:
    """Only the changed stop is rendered again; an edit to the editor's effect module counts as a change."""
    module = tmp_path / "my_effects.py"
    module.write_text(
        "def dim(clip, by: float = 0.5):\n    return clip.image_transform(lambda f: (f * by).astype('uint8'))\n"
    )
    text = EFFECT_TOUR.format(root=samples.folder, glow=GLOW, roll=ROLL).replace(ROLL, "my_effects:dim")
    text = text.replace("params: {register: register.csv, speed: 150, limit: 6}", "params: {by: 0.5}")
    spec = write_spec(tmp_path, text)
    checked = check_tour(spec)
    assert checked.problems == []
    size = (320, 180)
    _, made = prerender_effect_stops(checked, size)
    assert made[1].cached is False  # (the glow stop may be cached already: the same stop as in the test above)
    module.write_text(module.read_text().replace("by: float = 0.5", "by: float = 0.4"))
    _, again = prerender_effect_stops(check_tour(spec), size)
    assert [s.cached for s in again] == [True, False]
    assert again[1].path != made[1].path and again[0].path == made[0].path
