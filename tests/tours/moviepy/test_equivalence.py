"""Both engines on the same spec: same length, chapters and caption times, and the same pictures.

Frame threshold: the two outputs are two separate lossy x264 encodes (CRF 18) of pictures made by different code
(libswscale vs OpenCV resampling, xfade vs numpy blending, the graph's yuv444p ``perspective`` vs ``warpAffine`` in
RGB). Measured on this spec the mean absolute difference on the picture area is 0.2-3 levels of 255. A shot one
frame early or late on moving content measures 9 or more, a wrong Ken Burns window or a missing layer 10-40.
``MAX_MEAN_DIFF = 5`` sits between the two. The caption band is left out: libass and Pillow draw the same text
with different rasterisers; that captions are burned at all is tested separately.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamkit.media.probe import probe
from tests.conftest import run_cli
from tests.tours.moviepy.conftest import HEIGHT, EngineRenders, rgb_frames

pytestmark = pytest.mark.slow

MAX_MEAN_DIFF = 5.0
CAPTION_BAND = slice(HEIGHT * 3 // 4, HEIGHT)  # rows where burned captions sit (bottom quarter)
# (frame, what is on screen) for the spec in conftest: title 0-29, gate 20-59, photos 50-159, phone 160-189, outro
SAMPLES = [(10, "title"), (35, "gate clip under its caption"), (55, "crossfade gate -> photo"),
           (75, "Ken Burns with lower-third"), (105, "crossfade between photos"), (130, "Ken Burns"),
           (170, "rotated phone clip"), (198, "outro")]  # fmt: skip


def test_same_duration_within_one_frame(engine_renders: EngineRenders) -> None:
    plan = engine_renders.ffmpeg.timeline
    assert engine_renders.moviepy.timeline == plan  # one plan: only the executor differs
    frame_ms = 1000 / float(plan.fps)
    a, b = probe(engine_renders.ffmpeg.output), probe(engine_renders.moviepy.output)
    assert abs(a.duration_ms - b.duration_ms) <= frame_ms
    assert abs(b.duration_ms - plan.duration_ms) <= frame_ms
    assert len(rgb_frames(engine_renders.moviepy.output)) == plan.total_frames


def _chapters(path: object) -> list[tuple[float, float, str]]:
    done = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_chapters", str(path)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return [
        (float(c["start_time"]), float(c["end_time"]), c["tags"]["title"]) for c in json.loads(done.stdout)["chapters"]
    ]


def _caption_packets(path: object) -> list[tuple[str, str]]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "s:0", "-show_entries", "packet=pts_time,duration_time",
         "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [tuple(line.split(",")[:2]) for line in done.stdout.split() if line]  # type: ignore[misc]


def test_same_chapters_and_caption_times(engine_renders: EngineRenders) -> None:
    ff, mp = engine_renders.ffmpeg.output, engine_renders.moviepy.output
    chapters = _chapters(ff)
    assert [c[2] for c in chapters] == ["烈士陵园导览", "陵园大门", "英烈墓区", "手机竖拍", "英烈永垂不朽"]
    assert _chapters(mp) == chapters
    assert _caption_packets(mp) == _caption_packets(ff) != []
    assert ff.with_suffix(".srt").read_text(encoding="utf-8") == mp.with_suffix(".srt").read_text(encoding="utf-8")
    ff_manifest = json.loads(ff.with_suffix(".json").read_text(encoding="utf-8"))
    mp_manifest = json.loads(mp.with_suffix(".json").read_text(encoding="utf-8"))
    assert mp_manifest["chapters"] == ff_manifest["chapters"]
    assert mp_manifest["captions"] == ff_manifest["captions"]


def test_frames_match_where_content_is_deterministic(engine_renders: EngineRenders) -> None:
    ff = rgb_frames(engine_renders.ffmpeg.output)
    mp = rgb_frames(engine_renders.moviepy.output)
    picture = np.ones((HEIGHT,), bool)
    picture[CAPTION_BAND] = False
    report = {}
    for frame, what in SAMPLES:
        diff = float(np.abs(ff[frame] - mp[frame])[picture].mean())
        report[f"{frame} {what}"] = round(diff, 2)
    assert max(report.values()) < MAX_MEAN_DIFF, report
    # the comparison can fail: a neighbouring frame of the moving gate clip is measurably different
    assert float(np.abs(ff[35] - mp[37])[picture].mean()) > MAX_MEAN_DIFF


def caption_pixels(band: np.ndarray) -> int:
    """Near-white pixels touching near-black ones: outlined caption text (the test clip's colour bars have none)."""
    white = (band > 160).all(axis=2)  # 11-pixel text at 180p is mostly anti-aliased edge
    dark = cv2.dilate((band < 90).all(axis=2).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return int((white & dark).sum())


def test_both_engines_burn_captions(engine_renders: EngineRenders) -> None:
    """Outlined text appears in the caption band during the cue (frames 25-44) and is gone after it."""
    counts = {}
    for result in (engine_renders.ffmpeg, engine_renders.moviepy):
        frames = rgb_frames(result.output)
        counts[result.output.parent.name] = (caption_pixels(frames[35][CAPTION_BAND]),
                                             caption_pixels(frames[52][CAPTION_BAND]))  # fmt: skip
    for during, after in counts.values():
        assert during > 15 and after < 5, counts
    ff, mp = counts["ffmpeg"][0], counts["moviepy"][0]
    assert 0.5 < mp / ff < 2, counts  # the same text at about the same size


def test_cli_engine_option_reaches_the_moviepy_executor(engine_renders: EngineRenders, tmp_path: Path) -> None:
    """`--engine moviepy --dry-run` prints the moviepy mux (picture copied, soft captions) and writes nothing."""
    out = tmp_path / "dry.mp4"
    done = run_cli(["tour", "render", str(engine_renders.spec), "-o", str(out), "--engine", "moviepy", "--dry-run"])
    assert done.returncode == 0, done.stderr
    assert "picture.mp4" in done.stdout + done.stderr and "-c:v copy" in done.stdout + done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
