"""The chunked render's sound in sections: which sources a section opens (pure), and the sections' PCM against the
whole-tour mix rendered in one process (real ffmpeg)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from streamkit.errors import FFmpegError, MediaError
from streamkit.media.commands import FFmpegCommand, InputList
from streamkit.media.loudness import Loudness, MeasuredLoudness
from streamkit.media.samples import SampleSet
from streamkit.tours.check import check_tour
from streamkit.tours.ffmpeg import sections as tour_sound
from streamkit.tours.ffmpeg import sound
from streamkit.tours.inputs import prepare_inputs
from streamkit.tours.job import Encoding
from streamkit.tours.render import RenderOptions, render_tour
from streamkit.tours.spec import Ducking
from streamkit.tours.timeline import Timeline, build_timeline
from tests.tours.conftest import write_spec
from tests.tours.specs import MEDIA, make_tour

RATE = 48_000


def _plan(**extra: object) -> Timeline:
    return build_timeline(make_tour(**extra), MEDIA)


def test_preroll_covers_five_release_times_and_at_least_two_seconds() -> None:
    assert tour_sound.preroll_samples(Ducking(release_ms=350)) == 2 * RATE
    assert tour_sound.preroll_samples(Ducking(release_ms=1000)) == 5 * RATE


def test_sections_cover_the_tour_in_whole_samples() -> None:
    plan = _plan()  # 13.28 s
    sections = tour_sound.plan_sections(plan, {}, Ducking(), section_seconds=3)
    total = plan.duration_ms * RATE // 1000
    assert [(s.start, s.end) for s in sections] == [(0, 144000), (144000, 288000), (288000, 432000),
                                                    (432000, 576000), (576000, total)]  # fmt: skip
    assert sum(s.samples for s in sections) == total == 637440
    # each window starts a pre-roll (2 s) before its section, never before the tour
    assert [s.window.start for s in sections] == [0, 48000, 192000, 336000, 480000]
    assert all(s.window.end == s.end for s in sections)
    # the gate clip sounds on 1.52..4.52 s (its shot), in the first two sections and the third one's pre-roll
    assert [s.clips for s in sections] == [(1,), (1,), (1,), (), ()]


def test_a_section_opens_only_the_voices_sounding_in_it_or_its_preroll() -> None:
    # voices at 0.5 s (2 s long: ends 2.5 s), 6.5 s (1 s: ends 7.5 s) and 12 s (length unknown)
    narration = [
        {"path": "early.m4a", "at": 0.5},
        {"path": "middle.m4a", "at": 6.5},
        {"path": "late.m4a", "at": 12},
    ]
    plan = _plan(narration=narration)
    stop_voice = [j for j, v in enumerate(plan.voices) if v.segment is not None]
    assert len(plan.voices) == 4 and stop_voice == [0]  # the stop's own narration (n.m4a at 4.54 s) comes first
    lengths = {Path("/media/early.m4a"): 2000, Path("/media/middle.m4a"): 1000, Path("/media/n.m4a"): 1000}
    sections = tour_sound.plan_sections(plan, lengths, Ducking(), section_seconds=3)
    # each voice is opened where it sounds, its length given +1 s of margin: the early voice (0.5..2.5 s) in
    # section 0 and in section 1's pre-roll (from 1 s), not in section 2's (from 4 s: it ended before); the stop's
    # (4.54..5.54 s) in section 1 and in section 2, whose pre-roll it starts in; the middle one (6.5..7.5 s) in
    # section 2 and in section 3's pre-roll (from 7 s), not in section 4 (from 10 s); the late one, of unknown
    # length, from its start on
    assert [s.voices for s in sections] == [(1,), (0, 1), (0, 2), (2,), (3,)]
    window = sections[2].window
    assert window.overlaps(round(6.5 * RATE), RATE) and not window.overlaps(0, round(3.5 * RATE))


def test_section_graph_places_sources_sample_exactly() -> None:
    plan = _plan()
    sections = tour_sound.plan_sections(plan, {Path("/media/n.m4a"): 3000}, Ducking(), section_seconds=3)
    second = sections[1]  # 3..6 s, window from 1 s
    command = tour_sound.section_command(
        plan, second, Ducking(), Path("/w/music.f32"), Path("/w/mix-1.f32"), ffmpeg_bin="ffmpeg"
    )
    argv = command.argv
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-i"] == ["/media/gate.mp4", "/media/n.m4a",
                                                                      "/w/music.f32"]  # fmt: skip
    # the music is read from the window's first sample: 48000 samples of 8 bytes skipped
    assert "-f f32le -ar 48000 -ac 2 -skip_initial_bytes 384000 -i /w/music.f32" in " ".join(argv)
    parts = argv[argv.index("-filter_complex") + 1].split(";")
    assert parts[0] == "anullsrc=r=48000:cl=stereo,atrim=end_sample=240000[silence]"  # the window: 1..6 s
    # the clip began at 1.52 s: 0.52 s into the window; the stop's voice at 4.54 s
    assert parts[1].endswith(f",adelay=delays={1520 * 48 - RATE}S:all=1[c1]")
    assert parts[2].endswith(f",adelay=delays={4540 * 48 - RATE}S:all=1[n0]")
    assert "[2:a]aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=240000[music]" in parts
    assert "[music][voice_key]sidechaincompress=threshold=0.02:ratio=10:attack=20:release=350[ducked]" in parts
    assert parts[-1] == f"[mix]atrim=start_sample={2 * RATE},asetpts=PTS-STARTPTS[aout]"  # the pre-roll dropped
    assert " ".join(argv).endswith("-map [aout] -c:a pcm_f32le -ar 48000 -ac 2 -f f32le /w/mix-1.f32")
    # a source that began before the window is cut, not delayed: its samples are those of the whole graph
    third = tour_sound.section_command(plan, sections[2], Ducking(), None, Path("/w/mix-2.f32"), ffmpeg_bin="ffmpeg")
    clip = next(p for p in third.argv[third.argv.index("-filter_complex") + 1].split(";") if p.endswith("[c1]"))
    assert clip.endswith(f",atrim=start_sample={4 * RATE - 1520 * 48},asetpts=PTS-STARTPTS[c1]")


def test_whole_tour_graph_places_every_source_from_sample_zero() -> None:
    plan = _plan()
    args = InputList()
    parts = sound.audio_graph(plan, Ducking(), args)
    assert not any("start_sample" in p for p in parts)  # nothing is cut: every source is delayed from 0
    assert [args.argv[i + 1] for i, a in enumerate(args.argv) if a == "-i"] == [
        "/media/gate.mp4", "/media/n.m4a", "/media/bed.m4a"]  # fmt: skip


def test_music_stem_opens_only_the_beds() -> None:
    plan = _plan()
    argv = tour_sound.music_command(plan, Path("/w/music.f32"), ffmpeg_bin="ffmpeg").argv
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-i"] == ["/media/bed.m4a"]
    assert f"atrim=end_sample={plan.duration_ms * 48}" in argv[argv.index("-filter_complex") + 1]
    assert argv[-1] == "/w/music.f32" and argv[-2] == "f32le"


def test_pass_one_and_stem_read_the_sections_back_to_back() -> None:
    plan = _plan()
    files = [Path("/w/mix-0000.f32"), Path("/w/mix-0001.f32")]
    measure = tour_sound.measure_command(plan, files, Path("/w/loudness.txt"), ffmpeg_bin="ffmpeg").argv
    assert "-f f32le -ar 48000 -ac 2 -i concat:/w/mix-0000.f32|/w/mix-0001.f32" in " ".join(measure)
    assert measure[-3:] == ["-f", "null", "-"]
    loudness = Loudness(-16.0, -1.5, 11.0, MeasuredLoudness(-20.5, -3.2, 4.0, -30.5))
    encoding = Encoding(crf=20, preset="veryfast", audio_bitrate="160k", threads=4)
    stem = tour_sound.sound_command(
        plan, files, Path("/w/sound.m4a"), encoding=encoding, loudness=loudness, ffmpeg_bin="ffmpeg"
    )
    parts = stem.argv[stem.argv.index("-filter_complex") + 1].split(";")
    assert parts[-1] == "[mix]volume=4.50dB,alimiter=limit=0.7499:level=disabled:latency=1[aout]"
    assert " ".join(stem.argv).endswith("-map [aout] -c:a aac -b:a 160k -ar 48000 -ac 2 -f mp4 /w/sound.m4a")
    with pytest.raises(MediaError, match="TMPDIR"):  # one clear line for the user, not a traceback
        tour_sound.joined([Path("/w/a|b.f32")])


# 9.7 s: the gate clip's sound and the hall's (mono, 44.1 kHz) cross-faded with cards, a 7 s narration crossing
# several 2 s sections, the music bed ducked under it and faded out
SECTIONS_SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
defaults:
  transition: {{name: fade, duration: 0.4}}
stops:
  - title: 开始
    card: {{lines: [开始], duration: 1.5}}
  - title: 大门
    clip: {{path: clips/memorial-gate.mp4, start: 0, end: 3, volume: 0.8}}
  - title: 大厅
    clip: {{path: clips/memorial-hall.mp4, start: 0.2, end: 2.6}}
  - title: 结束
    card: {{lines: [结束], duration: 4}}
narration:
  - {{path: audio/narration-3.m4a, at: 1.0}}
music:
  - {{path: audio/music-bed.m4a, volume: 0.6, fade_out: 1.5}}
"""


def _run(command: FFmpegCommand) -> None:
    command.write_scripts()
    subprocess.run(command.argv, check=True, capture_output=True)
    command.cleanup()


def _f32(path: Path) -> np.ndarray:
    return np.fromfile(path, np.float32).reshape(-1, 2).astype(np.float64)


@pytest.mark.slow
def test_sections_give_the_whole_tour_mix_without_clicks(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SECTIONS_SPEC.format(root=samples.folder))
    checked = check_tour(spec)
    checked.raise_if_problems()
    timeline = build_timeline(checked.tour, checked.media)
    inputs = prepare_inputs(checked, timeline, tmp_path, burn=False)
    total = timeline.duration_ms * RATE // 1000
    # the reference: the whole-tour graph in one process, as the one-graph render mixes it
    args = InputList()
    parts = sound.audio_graph(timeline, inputs.ducking, args)
    whole_file = tmp_path / "whole.f32"
    _run(FFmpegCommand(["ffmpeg", "-v", "error", *args.argv, "-filter_complex", ";".join(parts), "-map", "[mix]",
                        "-c:a", "pcm_f32le", "-f", "f32le", str(whole_file)], None))  # fmt: skip
    music = tmp_path / "music.f32"
    _run(tour_sound.music_command(timeline, music, ffmpeg_bin="ffmpeg"))
    assert music.stat().st_size == total * 8
    voice_ms = {path: info.duration_ms for path, info in checked.media.items()}
    sections = tour_sound.plan_sections(timeline, voice_ms, inputs.ducking, section_seconds=2)
    assert len(sections) == 5
    files = []
    for k, section in enumerate(sections):
        files.append(tmp_path / f"mix-{k}.f32")
        _run(tour_sound.section_command(timeline, section, inputs.ducking, music, files[-1], ffmpeg_bin="ffmpeg"))
        assert files[-1].stat().st_size == section.samples * 8  # exactly the section's samples
    # the sources a section opened are not all of them (the point), and a voice crossed boundaries
    assert any(len(s.clips) < len(sound.sounding_clips(timeline)) for s in sections)
    assert sum(1 for s in sections if 0 in s.voices) >= 3
    mixed = np.concatenate([_f32(f) for f in files])
    whole = _f32(whole_file)
    assert len(mixed) == len(whole) == total
    ducked = sound.samples_at(2500)  # narration and music both sound here: the ducking is exercised
    assert np.sqrt(np.mean(whole[ducked : ducked + RATE] ** 2)) > 0.01
    residual = np.sqrt(np.mean((mixed - whole) ** 2) / np.mean(whole**2))
    # the same samples (bit for bit here: the compressor's state has converged within float32 by the section's
    # start; without the pre-roll the residual is 0.12); a little float rounding would be allowed
    assert residual < 1e-6, residual
    # no click at a boundary: the step between its two samples is no larger than the steps around it
    steps = np.abs(np.diff(mixed, axis=0)).max(axis=1)
    for section in sections[1:]:
        b = section.start
        around = np.concatenate([steps[b - 200 : b - 1], steps[b : b + 200]])
        assert steps[b - 1] <= around.max() * 1.05 + 1e-6, (b, steps[b - 1], around.max())
        assert np.abs(mixed[b - 2 : b + 2] - whole[b - 2 : b + 2]).max() < 1e-3


@pytest.mark.slow
def test_a_failing_section_stops_the_sound_branch_and_writes_nothing(
    samples: SampleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started_commands: list[str]
) -> None:
    """A section's graph is broken (the music it reads gets an invalid sample format): its ffmpeg fails at start;
    no later sound step runs, the section's error is the one raised, and nothing is left under the output's folder."""
    monkeypatch.setattr(tour_sound, "RAW_FORMAT", "aformat=sample_fmts=not_a_format")
    spec = write_spec(tmp_path, SECTIONS_SPEC.format(root=samples.folder))
    out = tmp_path / "out" / "tour.mp4"
    with pytest.raises(FFmpegError) as caught:
        render_tour(spec, out, RenderOptions(show_progress=False, chunk_seconds=3, section_seconds=2))
    assert caught.value.argv[-1].endswith("mix-0000.f32")  # the section's own error, not a stopped picture's
    sound = [name for name in started_commands if not name.startswith("chunk-")]
    assert sound == ["music.f32", "mix-0000.f32"]  # no further section, no pass 1, no stem
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
