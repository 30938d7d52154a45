"""Command building (pure), progress parsing, error mapping, dry-run, and atomic outputs against real ffmpeg."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from rich.console import Console

from streamkit.errors import FFmpegError, MediaError
from streamkit.media import commands
from streamkit.media.commands import filter_graph_args, transcode_argv, with_progress
from streamkit.media.probe import probe
from streamkit.media.publish import atomic_output, partial_path, verify_media, write_text_atomic
from streamkit.media.runner import ProgressState, hint_for, parse_progress, run_ffmpeg
from streamkit.media.samples import SampleSet


def test_transcode_argv_whole() -> None:
    argv = transcode_argv(Path("in put.mov"), Path("out.mp4"), crf=20, max_duration_s=2.5)
    assert argv == [
        "ffmpeg", "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", "-loglevel", "error",
        "-t", "2.5", "-i", "in put.mov",
        "-acodec", "aac", "-crf", "20", "-movflags", "+faststart", "-pix_fmt", "yuv420p", "-preset", "veryfast",
        "-vcodec", "libx264", "out.mp4",
    ]  # fmt: skip


def test_with_progress_keeps_order_and_drops_duplicate_overwrite_flag() -> None:
    assert with_progress(["ffmpeg", "-i", "a", "b", "-y"]) == [
        "ffmpeg", *commands.COMMON_HEAD, *commands.PROGRESS_ARGS, "-i", "a", "b",
    ]  # fmt: skip


def test_short_filter_graph_stays_inline(tmp_path: Path) -> None:
    args, scripts = filter_graph_args("[0:v]scale=320:180[v]", tmp_path / "g.ffgraph")
    assert args == [*commands.FILTER_THREADS, "-filter_complex", "[0:v]scale=320:180[v]"] and scripts == ()


def test_long_filter_graph_goes_to_a_script_file_the_builder_does_not_write(tmp_path: Path) -> None:
    graph = ";".join(f"[{i}:v]scale=320:180[v{i}]" for i in range(8000))
    assert len(graph) >= 128 * 1024  # too long for one argv string on Linux
    script = tmp_path / "g.ffgraph"
    args, scripts = filter_graph_args(graph, script)
    assert args == [*commands.FILTER_THREADS, "-filter_complex_script", str(script)]  # one thread either way
    assert scripts == (commands.ScriptFile(script, graph),) and not script.exists()  # pure: the text is data
    command = commands.FFmpegCommand(["ffmpeg", *args], None, scripts)
    command.write_scripts()  # the executor's part
    assert script.read_text(encoding="utf-8") == graph
    command.cleanup()
    assert not script.exists()


def test_filter_value_escapes_both_levels() -> None:
    assert commands.filter_value("/tmp/a b/c.ass") == "\\'/tmp/a b/c.ass\\'"
    assert commands.filter_value("/x/it's[1],;.ass") == "\\'/x/it\\'\\\\\\'\\'s\\[1\\]\\,\\;.ass\\'"


def test_progress_parser_reads_microseconds_and_end() -> None:
    text = (
        "frame=10\nout_time_us=N/A\nout_time_ms=N/A\nspeed=N/A\nprogress=continue\n"
        "frame=50\nout_time_us=2000000\nout_time_ms=2000000\nspeed=1.5x\nprogress=continue\n"
        "frame=75\nout_time_ms=3000000\nspeed=1.6x\nprogress=end\n"
    )
    states = list(parse_progress(text.splitlines()))
    assert states == [
        ProgressState(0, "N/A", False),
        ProgressState(2_000_000, "1.5x", False),  # 2 s, though the key says ms
        ProgressState(3_000_000, "1.6x", True),
    ]


@pytest.mark.parametrize(
    ("stderr", "hint"),
    [
        ("[out] Error writing trailer: No space left on device", "the disk is full"),
        ("x.mp4: Invalid data found when processing input", "not a valid media file"),
        ("[mov] moov atom not found", "truncated"),
        ("Unknown encoder 'libfoo'", "lacks an encoder"),
        ("No such filter: 'xfadez'", "lacks a filter"),
        ("something unusual", None),
    ],
)
def test_hints(stderr: str, hint: str | None) -> None:
    found = hint_for(stderr)
    assert (found is None) if hint is None else (found is not None and hint in found)


def test_dry_run_prints_exact_command_and_runs_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never.mp4"
    argv = transcode_argv(Path("in.mp4"), out)
    console = Console(record=True, width=400)
    run_ffmpeg(argv, dry_run=True, console=console)
    assert console.export_text().strip() == shlex.join(argv)
    assert not out.exists()


def test_an_unfinished_output_fails_even_when_ffmpeg_exits_0(tmp_path: Path) -> None:
    # what ffmpeg 5.1 prints, then exits 0, when the disk fills while it writes the MP4 index
    script = tmp_path / "ffmpeg"
    script.write_text("#!/bin/sh\necho 'Error writing trailer of out.mp4: No space left on device' >&2\nexit 0\n")
    script.chmod(0o755)
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg([str(script)], show_progress=False)
    assert caught.value.returncode == 0
    assert caught.value.hint is not None and "the disk is full" in caught.value.hint


@pytest.mark.slow
def test_failure_carries_stderr_tail_and_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    argv = transcode_argv(bad, tmp_path / "out.mp4")
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(argv, show_progress=False)
    err = caught.value
    assert err.returncode != 0
    assert "Invalid data found" in err.stderr_tail
    assert err.hint is not None and "not a valid media file" in err.hint
    assert str(err).startswith("ffmpeg exited with code")
    assert err.command == shlex.join(argv)


@pytest.mark.slow
def test_progress_callback_sees_time_advance(tmp_path: Path, samples: SampleSet) -> None:
    seen: list[ProgressState] = []
    argv = transcode_argv(samples.clips[0], tmp_path / "o.mp4")
    run_ffmpeg(argv, show_progress=False, on_progress=seen.append)
    assert seen[-1].finished
    assert abs(seen[-1].out_time_us - 3_000_000) < 100_000


def child_ffmpeg_nice() -> list[int]:
    """The nice value of every ffmpeg this process has started and not yet reaped (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    text = stat.read()
            except OSError:
                continue
            name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
            if name == "ffmpeg" and int(fields[1]) == os.getpid():
                found.append(int(fields[16]))
    return found


@pytest.mark.parametrize("background", [False, True])
def test_background_ffmpeg_runs_at_the_lowest_priority(tmp_path: Path, background: bool) -> None:
    """The sound branch of a tour runs in the background: its ffmpeg at nice 19, the others at ours."""
    seen: list[list[int]] = []
    argv = ["ffmpeg", *commands.COMMON_HEAD, *commands.PROGRESS_ARGS, "-stats_period", "0.1", "-re", "-f", "lavfi",
            "-i", "sine=duration=0.5", "-f", "null", "-"]  # fmt: skip
    run_ffmpeg(argv, show_progress=False, on_progress=lambda _: seen.append(child_ffmpeg_nice()), background=background)
    assert seen and all(values == [19 if background else os.getpriority(os.PRIO_PROCESS, 0)] for values in seen)


@pytest.mark.slow
def test_atomic_output_publishes_verified_file(tmp_path: Path, samples: SampleSet) -> None:
    target = tmp_path / "out" / "gate.mp4"
    with atomic_output(target, verify_media(3000, need_audio=True)) as partial:
        assert partial == partial_path(target) == tmp_path / "out" / ".gate.partial.mp4"
        run_ffmpeg(transcode_argv(samples.clips[0], partial), show_progress=False)
        assert not target.exists()
    assert probe(target).has_audio
    assert list(target.parent.iterdir()) == [target]


@pytest.mark.slow
def test_interrupted_render_leaves_nothing(tmp_path: Path, samples: SampleSet) -> None:
    target = tmp_path / "gate.mp4"
    target_bytes_before = b"previous good render"
    target.write_bytes(target_bytes_before)

    def interrupt(state: ProgressState) -> None:
        raise KeyboardInterrupt  # as Ctrl-C during the encode

    with pytest.raises(KeyboardInterrupt), atomic_output(target, verify_media(3000)) as partial:
        argv = transcode_argv(samples.clips[0], partial)
        at = argv.index("-i")
        argv[at:at] = ["-re"]  # read at native speed so the render is still running when interrupted
        run_ffmpeg(argv, show_progress=False, on_progress=interrupt)
    assert target.read_bytes() == target_bytes_before  # the earlier file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gate.mp4"]  # no partial left behind


@pytest.mark.slow
def test_output_failing_verification_is_not_published(tmp_path: Path, samples: SampleSet) -> None:
    target = tmp_path / "short.mp4"
    with pytest.raises(MediaError, match=r"expected 10\.000 s"), atomic_output(target, verify_media(10_000)) as partial:
        run_ffmpeg(transcode_argv(samples.clips[0], partial), show_progress=False)
    assert list(tmp_path.iterdir()) == []


def test_write_text_atomic(tmp_path: Path) -> None:
    target = tmp_path / "captions.vtt"
    write_text_atomic(target, "WEBVTT\n\n00:00.000 --> 00:01.000\n清明\n")
    assert target.read_text(encoding="utf-8").endswith("清明\n")
    assert [p.name for p in tmp_path.iterdir()] == ["captions.vtt"]


def test_remux_argv_copies_streams_into_a_seekable_mp4() -> None:
    from streamkit.media.commands import remux_mp4_argv

    assert remux_mp4_argv(Path("rec.mkv"), Path("rec.mp4")) == [
        "ffmpeg", *commands.COMMON_HEAD, *commands.PROGRESS_ARGS, "-i", "rec.mkv",
        "-map", "0:v:0", "-map", "0:a?", "-c", "copy", "-movflags", "+faststart", "rec.mp4",
    ]  # fmt: skip
