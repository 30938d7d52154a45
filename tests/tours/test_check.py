"""`tour check` and bad input: every problem listed once with file:line, exit 1, nothing written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from streamkit.media.samples import SampleSet
from streamkit.tours.stills import fit_photo, open_photo
from tests.conftest import run_cli
from tests.tours.conftest import write_spec

BAD_SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25"}}
defaults:
  transition: {{name: fade, duration: 2.5}}
stops:
  - title: 缺失
    clip: {{path: clips/missing.mp4}}
  - title: 超出
    clip: {{path: clips/memorial-gate.mp4, start: 1, end: 9}}
  - title: 坏文件
    clip: {{path: {broken}}}
  - title: 讲解
    photos: {{paths: [photos/tomb-001.jpg, photos/tomb-002.jpg], seconds: 2}}
    narration: {{path: audio/narration-1.m4a}}
    captions:
      - {{text: 太晚, start: 1, end: 9}}
"""


def test_check_lists_every_problem_with_file_and_line(samples: SampleSet, tmp_path: Path) -> None:
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a movie")
    spec = write_spec(tmp_path, BAD_SPEC.format(root=samples.folder, broken=tmp_path / "broken.mp4"))
    done = run_cli(["tour", "check", str(spec)], cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert all(line.startswith("error: tour.yaml:") for line in lines), lines
    text = "\n".join(lines)
    assert "tour.yaml:8: stops[0].clip.path: clips/missing.mp4: file not found" in text
    assert (
        "tour.yaml:10: stops[1].clip.end: trim ends at 9 s, past the end of clips/memorial-gate.mp4 (3.000 s)" in text
    )
    assert "broken.mp4: not a readable media file" in text
    assert (
        "tour.yaml:5: defaults.transition: transition of 2.5 s between stops[3] photo 1 and stops[3] photo 2 "
        "is longer than a neighbouring shot (2.00 s)"
    ) in text
    assert "tour.yaml:15: stops[3].narration: narration lasts 8.24 s from 0.3 s but the stop lasts 2.04 s" in text
    assert "tour.yaml:17: stops[3].captions[0].end: caption ends at 9 s but the stop lasts 2.04 s" in text
    assert len(lines) == 6  # each problem once, in file order
    assert "Traceback" not in done.stderr


def test_unknown_keys_and_bad_values_come_from_the_loader(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {samples.folder}
stops:
  - title: 大门
    clip: {{path: clips/memorial-gate.mp4, volme: 2}}
  - title: 两个画面
    clip: {{path: clips/memorial-gate.mp4}}
    card: {{lines: [x]}}
defaults:
  transition: {{name: sparkle}}
""")  # fmt: skip
    done = run_cli(["tour", "check", str(spec)], cwd=tmp_path)
    assert done.returncode == 1
    assert "error: tour.yaml:5: stops[0].clip.volme: unknown key; did you mean 'volume'?" in done.stderr
    assert "error: tour.yaml:6: stops[1]: needs exactly one of clip, photos or card" in done.stderr
    assert "error: tour.yaml:10: defaults.transition.name: unknown transition 'sparkle'" in done.stderr


def test_render_of_a_bad_spec_writes_nothing(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, BAD_SPEC.format(root=samples.folder, broken=tmp_path / "broken.mp4"))
    out = tmp_path / "out" / "tour.mp4"
    done = run_cli(["tour", "render", str(spec), "-o", str(out)], cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith("error: tour.yaml:")
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_sample_tour_checks_clean_and_dry_run_prints_the_commands(samples: SampleSet, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    text = (root / "config" / "tours" / "sample-tour.yaml").read_text(encoding="utf-8")
    spec = write_spec(tmp_path, text.replace("media_root: ../../var/samples", f"media_root: {samples.folder}"))
    assert run_cli(["tour", "check", str(spec)], cwd=tmp_path).returncode == 0
    out = tmp_path / "out.mp4"
    done = run_cli(["tour", "render", str(spec), "-o", str(out), "--dry-run"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # the 42 s sample tour renders in chunks (15 s each): in the order they start, the sound branch (the music,
    # the mix in one section, pass 1 on it, then the stem) and the pictures (one command per chunk), then the mux
    music, section, measure, sound, *chunks, mux, kept = done.stderr.strip().splitlines()
    folder = Path(kept.split(" kept in ")[1].split(" (")[0])
    # each sound step reads what the one before it wrote, in the kept folder
    assert "music-bed" in music and music.endswith(f"-f f32le {folder}/music.f32")
    assert f"-i {folder}/music.f32" in section and "sidechaincompress" in section
    assert section.endswith(f"-f f32le {folder}/mix-0000.f32")
    assert f"-i concat:{folder}/mix-0000.f32" in measure and "ebur128=peak=true" in measure
    assert measure.endswith("-f null -")
    assert f"-i concat:{folder}/mix-0000.f32" in sound and "loudnorm=I=-16" in sound and sound.endswith("sound.m4a")
    assert len(chunks) == 3
    # each chunk also saves the poster's candidates among its frames (the middle of every photo and clip shot)
    assert all("subtitles=" in c and f"chunk-{k:04d}.mp4 -map '[poster]'" in c for k, c in enumerate(chunks))
    assert all(c.endswith(f"posters/chunk-{k:04d}-%02d.bmp") for k, c in enumerate(chunks))
    assert "xfade=transition=dissolve" in chunks[0]
    assert "-f concat" in mux and "-c:v copy -c:a copy" in mux and "-filter_complex" not in mux
    assert mux.endswith(".out.partial.mp4")
    assert not out.exists()
    # the files the commands read (captions, Ken Burns commands, chapters) are kept for running them by hand
    try:
        named = {folder / name for name in re.findall(re.escape(str(folder)) + r"/([\w.\-]+)", " ".join(chunks))}
        inputs = {p for p in named if p.suffix in (".ass", ".cmd", ".ffmeta")}
        assert folder / "captions.ass" in inputs and any(p.suffix == ".cmd" for p in inputs), named
        assert all(p.exists() for p in inputs), inputs
    finally:
        shutil.rmtree(folder)


def test_photo_honours_exif_orientation_and_is_never_stretched(samples: SampleSet) -> None:
    rotated = samples.photos[1]  # stored landscape, EXIF orientation 6
    with Image.open(rotated) as raw:
        stored = raw.size
    upright = open_photo(rotated)
    assert upright.size == (stored[1], stored[0])
    fitted = np.asarray(fit_photo(upright, (320, 180), "black").convert("L"))
    columns = np.nonzero(fitted.max(axis=0) > 0)[0]
    shown_width = columns[-1] - columns[0] + 1
    assert abs(shown_width - round(180 * upright.width / upright.height)) <= 2  # aspect kept: pillarboxed
