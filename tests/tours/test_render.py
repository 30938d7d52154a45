"""Real renders with real ffmpeg at 320x180: what the outputs contain, measured."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamkit.media.samples import SampleSet
from streamkit.tours.render import RenderOptions, render_tour
from tests.tours.conftest import (
    TRICKY,
    MainRender,
    ffmpeg_stderr,
    ffprobe_json,
    frame_at,
    gray_frames,
    integrated_loudness,
    render_texture_move,
    rms_db,
    write_spec,
)

pytestmark = pytest.mark.slow


def test_duration_is_the_planned_frame_count(main_render: MainRender) -> None:
    plan = main_render.result.timeline
    data = ffprobe_json(main_render.output, "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames,width,height,profile,pix_fmt:format=duration")  # fmt: skip
    stream = data["streams"][0]
    assert int(stream["nb_read_frames"]) == plan.total_frames
    assert (stream["width"], stream["height"], stream["pix_fmt"]) == (320, 180, "yuv420p")
    assert abs(float(data["format"]["duration"]) * 1000 - plan.duration_ms) <= 1000 / 25


def test_streams_are_web_delivery_and_faststart(main_render: MainRender) -> None:
    data = ffprobe_json(main_render.output, "-show_streams")
    kinds = {s["codec_type"]: s for s in data["streams"] if s["codec_name"] != "bin_data"}
    assert kinds["audio"]["codec_name"] == "aac" and kinds["audio"]["sample_rate"] == "48000"
    assert kinds["audio"]["channels"] == 2
    assert kinds["subtitle"]["codec_name"] == "mov_text" and kinds["subtitle"]["tags"]["language"] == "chi"
    head = main_render.output.read_bytes()[:4096]
    assert 0 < head.find(b"moov") < 200  # moov before mdat: +faststart


def test_chapters_at_planned_times(main_render: MainRender) -> None:
    chapters = ffprobe_json(main_render.output, "-show_chapters")["chapters"]
    planned = main_render.result.timeline.chapters
    assert [c["tags"]["title"] for c in chapters] == [c.title for c in planned]
    assert [round(float(c["start_time"]) * 1000) for c in chapters] == [c.start_ms for c in planned]
    assert planned[0].title == "烈士陵园导览" and planned[-1].title == "英烈永垂不朽"


def test_soft_track_and_sidecars_carry_exact_text(main_render: MainRender) -> None:
    out = main_render.output
    soft = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-map", "0:s:0", "-f", "srt", "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    srt = out.with_suffix(".srt").read_text(encoding="utf-8")
    vtt = out.with_suffix(".vtt").read_text(encoding="utf-8")
    for text in (soft, srt):
        assert TRICKY in text
        assert "第一句。" in text and "第二句话。" in text
    assert TRICKY in vtt
    plan = main_render.result.timeline
    stop_start = plan.chapters[1].start_ms  # 1.5 s title (38 frames at 25 fps) minus the 0.4 s fade = 1.12 s
    assert stop_start == 1120
    assert (plan.captions[0].start_ms, plan.captions[0].end_ms) == (stop_start + 200, stop_start + 1400)
    assert "00:00:01,320 --> 00:00:02,520" in srt
    chapters_vtt = Path(f"{out.with_suffix('')}.chapters.vtt").read_text(encoding="utf-8")
    assert chapters_vtt.startswith("WEBVTT") and "陵园大门" in chapters_vtt


def test_manifest_lists_inputs_with_checksums(main_render: MainRender) -> None:
    manifest = json.loads(main_render.output.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["duration_ms"] == pytest.approx(main_render.result.timeline.duration_ms, abs=40)
    assert len(manifest["chapters"]) == 7 and manifest["captions"][0]["text"] == TRICKY
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    # the pictures depend on the tools: the manifest names the ffmpeg that ran and the x264 that encoded
    ffmpeg_line = subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True, text=True).stdout
    assert ffmpeg_line.startswith(f"ffmpeg version {manifest['tools']['ffmpeg']} ")
    assert re.fullmatch(r"\d+ r\d+ [0-9a-f]+", manifest["tools"]["x264"])
    assert any(i["path"].endswith("phone-portrait.mp4") for i in manifest["inputs"])
    assert manifest["settings"]["measured"]["integrated"] < 0


def test_loudness_within_one_lu_of_target(main_render: MainRender) -> None:
    assert integrated_loudness(main_render.output) == pytest.approx(-16.0, abs=1.0)


def test_rotated_clip_is_shown_upright_and_pillarboxed(main_render: MainRender) -> None:
    plan = main_render.result.timeline
    shot = next(s for s in plan.shots if s.source and s.source.name == "phone-portrait.mp4")
    frame = frame_at(main_render.output, plan.frame_ms(shot.start_frame + shot.frames // 2) / 1000, 320, 180)
    # a 180x320 portrait picture scaled into 320x180 is 102 px wide: black bars either side
    assert frame[:, :90].mean() < 20 and frame[:, 230:].mean() < 20
    assert frame[:, 120:200].mean() > 60


def test_poster_is_not_black_and_not_the_title_card(main_render: MainRender) -> None:
    poster = cv2.imread(str(main_render.output.with_suffix(".jpg")), cv2.IMREAD_GRAYSCALE)
    assert poster is not None and poster.shape == (180, 320)
    title = frame_at(main_render.output, 0.5, 320, 180)
    assert poster.mean() > 40
    assert np.abs(poster.astype(int) - title.astype(int)).mean() > 15


def test_hls_ladder_is_valid_and_decodes(main_render: MainRender) -> None:
    master = (main_render.hls / "master.m3u8").read_text(encoding="utf-8")
    variants = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert len(variants) == 2
    for line in variants:
        assert 'CODECS="avc1.64' in line and "mp4a.40.2" in line
        bandwidth = int(line.split("BANDWIDTH=")[1].split(",")[0])
        assert bandwidth > 150_000
    assert "TYPE=SUBTITLES" in master
    ffmpeg_stderr("-v", "error", "-i", str(main_render.hls / "master.m3u8"), "-map", "0:v:0", "-f", "null", "-")


def test_burned_caption_draws_pixels_in_the_caption_region(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {samples.folder}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
stops:
  - title: 字幕
    card: {{lines: [字幕测试], duration: 2}}
    captions:
      - {{text: 英烈永垂不朽, start: 0.5, end: 1.5}}
""")  # fmt: skip
    burned, plain = tmp_path / "burned.mp4", tmp_path / "plain.mp4"
    render_tour(spec, burned, RenderOptions(show_progress=False, preview=True))
    render_tour(spec, plain, RenderOptions(show_progress=False, preview=True, burn_captions=False))
    during = np.abs(frame_at(burned, 1.0, 320, 180).astype(int) - frame_at(plain, 1.0, 320, 180).astype(int))
    after = np.abs(frame_at(burned, 1.8, 320, 180).astype(int) - frame_at(plain, 1.8, 320, 180).astype(int))
    caption_region = during[130:180, 60:260]
    assert (caption_region > 60).sum() > 80  # white CJK strokes with a black outline
    assert during[:100].max() < 30  # nothing drawn above the caption band
    assert (after > 60).sum() < 10  # gone after its end time


@pytest.fixture
def tone_bed(tmp_path: Path) -> Path:
    path = tmp_path / "tone.wav"
    ffmpeg_stderr("-v", "error", "-f", "lavfi", "-i", "sine=frequency=5000:sample_rate=48000:duration=12",
                  "-af", "volume=0.3", str(path))  # fmt: skip
    return path


@pytest.mark.parametrize("chunk_seconds", [15.0, 3.0])  # one graph; chunks with the sound as a stem beside them
def test_music_ducks_under_narration(samples: SampleSet, tmp_path: Path, tone_bed: Path, chunk_seconds: float) -> None:
    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {samples.folder}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
stops:
  - title: 讲解
    card: {{lines: [讲解], duration: 10.5}}
    narration: {{path: audio/narration-1.m4a, offset: 1.5}}
music:
  - {{path: {tone_bed}, volume: 1.0, fade_out: 0}}
""")  # fmt: skip
    out = tmp_path / "ducked.mp4"
    render_tour(spec, out, RenderOptions(show_progress=False, chunk_seconds=chunk_seconds))
    assert abs(float(ffprobe_json(out, "-show_format")["format"]["duration"]) - 10.5) <= 0.04
    pause = rms_db(out, 0.2, 1.3, band_hz=5000)
    speaking = rms_db(out, 3.0, 7.0, band_hz=5000)
    assert pause - speaking >= 10, (pause, speaking)


def test_ken_burns_moves_smoothly_with_subpixel_steps(samples: SampleSet, tmp_path: Path) -> None:
    out = render_texture_move(tmp_path, "pan-right", "平移")
    frames = gray_frames(out, 320, 180).astype(np.float32)
    window = cv2.createHanningWindow((320, 180), cv2.CV_32F)
    steps = np.array([cv2.phaseCorrelate(a, b, window)[0][0] for a, b in itertools.pairwise(frames)])
    # the window travels 320 - 320/1.2 = 53.3 px over 74 frames: 0.72 px per frame, never a whole pixel
    inner = steps[2:-2]
    assert np.median(np.abs(inner)) == pytest.approx(53.33 / 74 * 1.2, abs=0.2)
    assert np.std(inner) < 0.1, inner
    # the same move with zoompan snaps the window to whole pixels: the same measure sees the jitter
    jitter = tmp_path / "zoompan.mp4"
    ffmpeg_stderr("-v", "error", "-i", str(tmp_path / "texture.png"), "-vf",
                  "zoompan=z=1.2:x='(iw-iw/zoom)*on/74':y='(ih-ih/zoom)/2':d=75:s=320x180:fps=25",
                  "-c:v", "libx264", "-crf", "10", "-preset", "ultrafast", str(jitter))  # fmt: skip
    snapped = gray_frames(jitter, 320, 180).astype(np.float32)
    snapped_steps = [cv2.phaseCorrelate(a, b, window)[0][0] for a, b in itertools.pairwise(snapped)]
    assert np.std(snapped_steps[2:-2]) > 2 * np.std(inner)


def test_interrupted_render_leaves_nothing(samples: SampleSet, tmp_path: Path) -> None:
    import os
    import signal
    import sys
    import time

    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {samples.folder}
output: {{size: 320x180, fps: "25", preset: veryslow}}
stops:
  - title: 长
    photos: {{paths: [photos/tomb-001.jpg, photos/tomb-003.jpg, photos/tomb-004.jpg], seconds: 20}}
""".replace("veryslow", "slow"))  # fmt: skip
    out = tmp_path / "out" / "long.mp4"
    temp = tmp_path / "temp"  # the render's work folder goes here, so the test can watch it and see it removed
    temp.mkdir()
    # a child of a background job inherits SIGINT ignored; give it the default so Python turns it into Ctrl-C
    proc = subprocess.Popen([sys.executable, "-m", "streamkit", "tour", "render", str(spec), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(temp)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    # the 60 s tour renders in chunks with the sound beside them: interrupt while the first chunk encodes
    deadline = time.monotonic() + 120
    started = False
    while not started and time.monotonic() < deadline:
        started = any(p.stat().st_size > 0 for p in temp.glob("*/chunk-0000.mp4"))
        time.sleep(0.05)
    assert started, "the render never started writing"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted"
    assert sorted(p.name for p in out.parent.iterdir()) == []  # no partial, no final file, no sidecars
    assert list(temp.iterdir()) == []  # the chunks, the sound stem and the work folder are removed
