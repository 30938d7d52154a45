"""Chunked rendering: the split plan (pure) and a real render forced into several chunks (real ffmpeg, 320x180)."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from streamkit.errors import FFmpegError
from streamkit.media import loudness
from streamkit.media.samples import SampleSet
from streamkit.tours.render import RenderOptions, RenderResult, render_tour
from streamkit.tours.timeline import Chunk, Shot, Timeline, plan_chunks, safe_cuts
from tests.tours.conftest import (
    MAIN_SPEC,
    TRICKY,
    MainRender,
    ffmpeg_stderr,
    ffprobe_json,
    gray_frames,
    integrated_loudness,
    write_spec,
)


def _timeline(shots: list[tuple[int, int]]) -> Timeline:
    """Shots given as (frames, overlap_in), placed by the xfade rule."""
    placed = []
    cursor = 0
    for frames, overlap in shots:
        start = cursor - overlap
        transition = "fade" if overlap else "cut"
        shot = Shot(
            kind="card", start_frame=start, frames=frames, overlap_in=overlap, transition_in=transition, segment=0
        )
        placed.append(shot)
        cursor = start + frames
    return Timeline(
        width=320,
        height=180,
        fps=Fraction(25),
        shots=tuple(placed),
        segments=(),
        chapters=(),
        captions=(),
        lower_thirds=(),
        voices=(),
        music=(),
        total_frames=cursor,
    )


PLANS = [
    # (shots as (frames, overlap_in), target frames, expected chunk bounds)
    ([(100, 0)], 30, [(0, 30), (30, 60), (60, 100)]),  # no shot begins near the targets: cut inside the long one
    ([(50, 0), (50, 10), (50, 10)], 100, [(0, 130)]),  # shorter than two chunks: one graph
    ([(60, 0), (60, 0), (60, 0), (60, 0)], 60, [(0, 60), (60, 120), (120, 180), (180, 240)]),  # hard cuts
    # crossfades at 40..60, 80..100, 120..140: cuts land on the first frame after each (61, 101, 141), where one
    # shot shows alone and the chunk throws away the fewest frames of it
    ([(60, 0), (60, 20), (60, 20), (60, 20)], 50, [(0, 61), (61, 101), (101, 141), (141, 180)]),
]


def _check_cover(timeline: Timeline, chunks: tuple[Chunk, ...]) -> None:
    frames = [f for c in chunks for f in range(c.start_frame, c.end_frame)]
    assert frames == list(range(timeline.total_frames))  # every frame exactly once, in order
    for chunk in chunks[1:]:
        f = chunk.start_frame
        showing = [
            s for s in timeline.shots if s.start_frame <= f - 1 < s.end_frame or s.start_frame <= f < s.end_frame
        ]
        in_transition = any(s.overlap_in and s.start_frame <= f < s.start_frame + s.overlap_in + 1 for s in showing)
        assert not in_transition, f"chunk starts inside a transition at frame {f}"
    for chunk in chunks:
        feeding = [
            i
            for i, s in enumerate(timeline.shots)
            if s.start_frame < chunk.end_frame and s.end_frame > chunk.start_frame
        ]
        assert (chunk.first_shot, chunk.last_shot) == (feeding[0], feeding[-1])


@pytest.mark.parametrize(("shots", "target"), [(p[0], p[1]) for p in PLANS])
def test_chunks_cover_every_frame_once_and_avoid_transitions(shots: list[tuple[int, int]], target: int) -> None:
    timeline = _timeline(shots)
    _check_cover(timeline, plan_chunks(timeline, target))


def test_chunk_bounds_table() -> None:
    for shots, target, expected in PLANS:
        timeline = _timeline(shots)
        bounds = [(c.start_frame, c.end_frame) for c in plan_chunks(timeline, target)]
        assert bounds == expected, (shots, target)


def test_safe_cuts_skip_crossfades() -> None:
    timeline = _timeline([(60, 0), (60, 20), (60, 0)])  # shot 1 spans 40..100, fades in over 40..60
    cuts = safe_cuts(timeline)
    assert all(not 40 <= c <= 60 for c in cuts)
    assert 100 in cuts  # a hard cut is a clean join


def test_many_random_plans_cover_exactly() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        shots = [(int(rng.integers(10, 90)), 0) for _ in range(int(rng.integers(1, 12)))]
        shots = [
            (f, min(int(rng.integers(0, 15)), f - 1, shots[i - 1][0] - 1) if i else 0) for i, (f, _) in enumerate(shots)
        ]
        timeline = _timeline(shots)
        _check_cover(timeline, plan_chunks(timeline, int(rng.integers(5, 80))))


@pytest.fixture(scope="module")
def chunked(samples: SampleSet, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    folder = tmp_path_factory.mktemp("chunked-tour")
    spec = write_spec(folder, MAIN_SPEC.format(root=samples.folder, tricky=TRICKY.replace("\\", "\\\\")))
    return render_tour(spec, folder / "out" / "tour.mp4", RenderOptions(show_progress=False, chunk_seconds=3))


@pytest.mark.slow
def test_chunked_render_has_planned_frames_chapters_and_captions(chunked: RenderResult) -> None:
    plan = chunked.timeline
    assert len(plan_chunks(plan, 75)) >= 3
    data = ffprobe_json(
        chunked.output, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames"
    )
    assert int(data["streams"][0]["nb_read_frames"]) == plan.total_frames
    chapters = ffprobe_json(chunked.output, "-show_chapters")["chapters"]
    assert [round(float(c["start_time"]) * 1000) for c in chapters] == [c.start_ms for c in plan.chapters]
    soft = subprocess.run(["ffmpeg", "-v", "error", "-i", str(chunked.output), "-map", "0:s:0", "-f", "srt", "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert TRICKY in soft and "00:00:01,320 --> 00:00:02,520" in soft
    assert chunked.output.with_suffix(".jpg").exists()


@pytest.mark.slow
def test_chunk_joins_show_no_seam(chunked: RenderResult, main_render: MainRender) -> None:
    """Against the one-graph render of the same spec, the frames at each join are the same pictures; where a join
    falls inside a shot, the picture changes there no more than between its neighbours."""
    plan = chunked.timeline
    frames = gray_frames(chunked.output, 320, 180).astype(np.int16)
    whole = gray_frames(main_render.output, 320, 180).astype(np.int16)
    assert len(frames) == len(whole) == plan.total_frames
    versus_whole = np.abs(frames - whole).mean(axis=(1, 2))
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))  # steps[k]: change from frame k to k+1
    joins = [c.start_frame for c in plan_chunks(plan, 75)[1:]]
    assert len(joins) >= 2
    shot_starts = {s.start_frame for s in plan.shots}
    for f in joins:
        # the same picture, re-encoded from a fresh IDR: x264 noise of about 1 grey level on average (a frame's
        # neighbour differs by 2 or more in moving shots, a frame off by one by 3 to 65 here)
        assert max(versus_whole[f - 1], versus_whole[f]) <= 2.5, (f, versus_whole[f - 2 : f + 2])
        if f not in shot_starts:  # mid-shot join: no jump in the picture
            neighbours = np.concatenate([steps[f - 4 : f - 1], steps[f : f + 3]])
            assert steps[f - 1] <= neighbours.max() * 1.5 + 1.0, (f, steps[f - 1], neighbours)
    assert any(f not in shot_starts for f in joins)  # the mid-shot case is exercised


@pytest.mark.slow
def test_parallel_chunks_under_load_give_the_same_video(chunked: RenderResult, tmp_path: Path) -> None:
    """Chunks two at a time beside two CPU-burning processes, against the serial render made without them: the
    decoded pictures are the same, bit for bit (x264 on a fixed thread count, no macroblock tree)."""
    spec = chunked.output.parent.parent / "tour.yaml"
    serial = gray_frames(chunked.output, 320, 180)
    assert len(serial) == chunked.timeline.total_frames
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        out = tmp_path / "parallel.mp4"
        render_tour(spec, out, RenderOptions(show_progress=False, chunk_seconds=3, parallel_chunks=2))
        differing = np.flatnonzero((gray_frames(out, 320, 180) != serial).any(axis=(1, 2)))
        assert differing.size == 0, f"frames {differing.tolist()} differ from the serial render"
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.slow
def test_the_sound_renders_in_the_background(
    chunked: RenderResult, tmp_path: Path, process_nice: dict[str, int]
) -> None:
    """The sound branch's ffmpegs run at nice 19, taking only the cores the pictures leave idle; the pictures and
    the final mux run at the render's own priority."""
    spec = chunked.output.parent.parent / "tour.yaml"
    render_tour(spec, tmp_path / "tour.mp4", RenderOptions(show_progress=False, chunk_seconds=3, section_seconds=4))
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    sound = {name: nice for name, nice in process_nice.items() if name.endswith((".f32", ".m4a")) or name == "-"}
    assert {"music.f32", "mix-0000.f32", "mix-0001.f32", "sound.m4a"} <= set(sound), process_nice
    assert set(sound.values()) == {19}, process_nice
    others = {name: nice for name, nice in process_nice.items() if name not in sound}
    assert any(name.startswith("chunk-") for name in others) and set(others.values()) == {ours}, process_nice


def _pcm(path: Path) -> np.ndarray:
    """The decoded sound as (samples, 2) float32 at 48 kHz."""
    done = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-f", "f32le", "-"],
                          capture_output=True, check=True)  # fmt: skip
    return np.frombuffer(done.stdout, np.float32).reshape(-1, 2)


@pytest.mark.slow
def test_stem_sound_is_sample_aligned_with_the_one_graph_render(chunked: RenderResult, main_render: MainRender) -> None:
    """The chunked render's sound went through a separate AAC file and a stream copy; the one-graph render encoded
    it in place. Decoded, they start on the same sample and last the tour's exact sample count."""
    plan = chunked.timeline
    stem, whole = _pcm(chunked.output), _pcm(main_render.output)
    total = plan.duration_ms * 48
    assert abs(len(stem) - total) < 1024 and abs(len(whole) - total) < 1024  # within one AAC frame
    a, b = stem[:, 0].astype(np.float64), whole[:, 0].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    correlation = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag = int(np.argmax(correlation))
    lag = lag - size if lag > size // 2 else lag
    assert lag == 0  # a priming delay lost or doubled in the copy would show as 1024 or 2112 samples here
    assert correlation.max() / np.sqrt((a * a).sum() * (b * b).sum()) > 0.99
    n = min(len(stem), len(whole))
    residual = np.sqrt(np.mean((stem[:n] - whole[:n]) ** 2) / np.mean(whole[:n] ** 2))
    assert residual < 0.01  # the same mix and loudness: what is left is at least 40 dB down (0 measured here)
    streams = ffprobe_json(chunked.output, "-show_entries", "stream=codec_type,start_time,duration", "-show_streams")
    kinds = {s["codec_type"]: s for s in streams["streams"]}
    assert float(kinds["audio"]["start_time"]) == float(kinds["video"]["start_time"]) == 0.0
    assert abs(float(kinds["audio"]["duration"]) - float(kinds["video"]["duration"])) < 1024 / 48000


@pytest.mark.slow
def test_chunked_render_reaches_the_loudness_target(chunked: RenderResult) -> None:
    assert integrated_loudness(chunked.output) == pytest.approx(-16.0, abs=1.0)


def true_peak_dbtp(path: Path) -> float:
    text = ffmpeg_stderr("-i", str(path), "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-")
    return float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", text)[-1])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sound", "normalised_with"),
    [
        # the music bed alone measures about -18 LUFS with its peak at -8.6 dBTP: +2 dB fits under -1.5 dBTP
        ("music: [{path: audio/music-bed.m4a, volume: 1.0, fade_out: 0}]", "volume="),
        # the narration over the bed: a gain that puts the peaks a few dB over the ceiling, then the limiter
        (
            "narration: [{path: audio/narration-1.m4a, at: 0.5}]\nmusic: [{path: audio/music-bed.m4a, volume: 0.5}]",
            "volume=*alimiter",
        ),
        # the narration and one loud clap (a second voice, so nothing ducks it): +5.6 dB would put the clap 8 dB
        # over the limiter, more than a limiter should take off: loudnorm, which limits dynamically
        ("narration: [{path: audio/narration-1.m4a, at: 0.5}, {path: {tmp}/clap.wav, at: 0}]", "loudnorm="),
    ],
)
def test_every_normalisation_reaches_the_target_under_the_ceiling(
    samples: SampleSet, tmp_path: Path, sound: str, normalised_with: str
) -> None:
    clap = "0.99*lt(abs(t-7.5)\\,0.004)*sin(2*PI*3000*t)"
    clap_file = tmp_path / "clap.wav"
    ffmpeg_stderr("-v", "error", "-f", "lavfi", "-i", f"aevalsrc={clap}|{clap}:s=48000:d=9", str(clap_file))
    sound = sound.replace("{tmp}", str(tmp_path))
    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {samples.folder}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
stops:
  - title: 声音
    card: {{lines: [声音], duration: 9.5}}
{sound}
""")  # fmt: skip
    out = tmp_path / "sound.mp4"
    render_tour(spec, out, RenderOptions(show_progress=False, chunk_seconds=3))  # chunked: the stem path
    manifest = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert fnmatch.fnmatch(manifest["settings"]["normalisation"], normalised_with + "*")
    assert integrated_loudness(out) == pytest.approx(-16.0, abs=1.0)
    assert true_peak_dbtp(out) <= -1.0  # the -1.5 dBTP ceiling, plus what the AAC encoder may overshoot


@pytest.mark.slow
def test_a_dry_run_prints_the_commands_a_real_run_starts(
    chunked: RenderResult, tmp_path: Path, started_commands: list[str]
) -> None:
    """The dry run plans exactly what the real run executes: the same steps, writing the same files."""
    spec = chunked.output.parent.parent / "tour.yaml"
    console = Console(record=True, width=100_000)
    options = RenderOptions(show_progress=False, chunk_seconds=3)
    render_tour(spec, tmp_path / "dry" / "tour.mp4", dataclasses.replace(options, dry_run=True), console=console)
    *lines, kept = console.export_text().strip().splitlines()
    shutil.rmtree(kept.split(" kept in ")[1].split(" (")[0])
    printed = [Path(shlex.split(line)[-1]).name for line in lines]
    started_commands.clear()
    render_tour(spec, tmp_path / "real" / "tour.mp4", options)
    assert len(printed) >= 8 and sorted(printed) == sorted(started_commands)  # sound and pictures interleave


@pytest.mark.slow
def test_a_failing_sound_branch_stops_the_pictures_and_writes_nothing(
    chunked: RenderResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started_commands: list[str]
) -> None:
    """The sound stem's graph is broken (an invalid gain: its ffmpeg fails at start, after pass 1); the pictures
    stop and start no further chunk. The error raised is the sound's, and nothing is left under the output's
    folder."""
    import streamkit.tours.job as job_module

    monkeypatch.setattr(loudness, "normalise", lambda _: "volume=not_a_gain")
    failed = threading.Event()
    recording = job_module.run_ffmpeg

    def held(argv: list[str], **kwargs: object) -> None:
        # the second chunk waits for the sound to fail (the sound runs at nice 19 and these 320x180 chunks are
        # quick: without this, whether the pictures were all done first was a race)
        if Path(argv[-1]).name.startswith("chunk-0001"):
            failed.wait(60)
        try:
            recording(argv, **kwargs)
        except FFmpegError:
            if argv[-1].endswith("sound.m4a"):
                failed.set()
            raise

    monkeypatch.setattr(job_module, "run_ffmpeg", held)
    spec = chunked.output.parent.parent / "tour.yaml"
    out = tmp_path / "out" / "tour.mp4"
    with pytest.raises(FFmpegError) as caught:
        render_tour(spec, out, RenderOptions(show_progress=False, chunk_seconds=3))
    assert failed.is_set()
    assert caught.value.argv[-1].endswith("sound.m4a")  # the sound's own error, not a stopped picture's
    assert "not_a_gain" in str(caught.value) or "not_a_gain" in caught.value.stderr_tail
    chunks = [name for name in started_commands if name.startswith("chunk-")]
    planned = len(plan_chunks(chunked.timeline, 75))
    # the chunk running when the sound failed (the first, or the held second) is stopped at its next report or
    # ends, and no later one starts
    assert planned >= 4 and 1 <= len(chunks) <= 2, started_commands
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_poster_comes_from_the_frames_saved_while_rendering(
    chunked: RenderResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunks save the middle frame of every photo and clip shot; the poster is the best of those, chosen
    without decoding the MP4 again (that path is made to fail here)."""
    import cv2

    from streamkit.tours import poster

    def no_decoding(video: Path, times_ms: list[int]) -> bytes:
        raise AssertionError("the poster was sought in the finished MP4")

    monkeypatch.setattr(poster, "best_frame_jpeg", no_decoding)
    spec = chunked.output.parent.parent / "tour.yaml"
    out = tmp_path / "poster.mp4"
    render_tour(spec, out, RenderOptions(show_progress=False, chunk_seconds=3))
    chosen = cv2.cvtColor(cv2.imread(str(out.with_suffix(".jpg"))), cv2.COLOR_BGR2GRAY).astype(np.float32)
    frames = gray_frames(out, 320, 180).astype(np.float32)
    plan = chunked.timeline
    candidates = poster.candidate_frames(plan)
    cards = [s for s in plan.shots if s.kind == "card"]
    assert not any(s.start_frame <= f < s.end_frame for s in cards for f in candidates)
    misses = {f: float(np.abs(frames[f] - chosen).mean()) for f in candidates}
    best = min(misses, key=lambda f: misses[f])
    assert misses[best] < 3.0, misses  # the same picture (JPEG and x264 apart); other frames differ by far more
    assert sorted(misses.values())[1] > 3 * misses[best]
