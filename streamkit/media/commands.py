"""The one module that spells ffmpeg command lines. Builders return argv lists; nothing here runs them.

ffmpeg-python compiles stream graphs into argv; it stays behind this module so it can be replaced.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg

# Linux refuses any single argument of 128 KiB or more (MAX_ARG_STRLEN); stay well below it.
FILTER_SCRIPT_THRESHOLD = 64 * 1024
# Filters run in the thread that feeds the encoder. With slice threads, ffmpeg 5.1's `scale` builds a thread pool
# and a swscale context per thread every time it reconfigures, which a Ken Burns zoom does on every frame
# (8.0 -> 4.9 ms of CPU per 720p frame with one thread), and x264 keeps the cores busy anyway: the x1 bench
# tour's chunks took 10.0-10.5 s of filtering CPU with slice threads, 7.7-8.3 s without.
FILTER_THREADS = ["-filter_complex_threads", "1"]

COMMON_HEAD = ["-hide_banner", "-nostdin", "-y"]
PROGRESS_ARGS = ["-progress", "pipe:1", "-nostats", "-loglevel", "error"]


@dataclass(frozen=True)
class FFmpegCommand:
    """An ffmpeg invocation: argv, plus any temporary file (a filter script) it refers to."""

    argv: list[str]
    expected_duration_ms: int | None = None
    temp_files: tuple[Path, ...] = field(default_factory=tuple)

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)


def compile_stream(stream: Any, ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """Compile an ffmpeg-python output node into argv (pure)."""
    argv: list[str] = ffmpeg.compile(stream, cmd=ffmpeg_bin)
    return argv


def with_progress(argv: Sequence[str]) -> list[str]:
    """Insert our common head and machine-readable progress right after the binary."""
    return [argv[0], *COMMON_HEAD, *PROGRESS_ARGS, *[a for a in argv[1:] if a not in ("-y",)]]


def filter_graph_args(graph: str, *, work_dir: Path | None = None) -> tuple[list[str], tuple[Path, ...]]:
    """``-filter_complex GRAPH``, or ``-filter_complex_script FILE`` when the graph is too long for argv; either
    way filtered in one thread (``FILTER_THREADS``)."""
    if len(graph.encode()) < FILTER_SCRIPT_THRESHOLD:
        return [*FILTER_THREADS, "-filter_complex", graph], ()
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed here, removed by FFmpegCommand.cleanup
        "w", suffix=".ffgraph", prefix="streamkit-", dir=work_dir, delete=False, encoding="utf-8"
    )
    with handle:
        handle.write(graph)
    script = Path(handle.name)
    return [*FILTER_THREADS, "-filter_complex_script", str(script)], (script,)


def transcode_argv(
    src: Path,
    dst: Path,
    *,
    ffmpeg_bin: str = "ffmpeg",
    crf: int = 23,
    preset: str = "veryfast",
    max_duration_s: float | None = None,
) -> list[str]:
    """A plain H.264/AAC transcode of one file (used by the samples and as the simplest render)."""
    inp = ffmpeg.input(str(src), **({"t": f"{max_duration_s:g}"} if max_duration_s else {}))
    out = ffmpeg.output(
        inp,
        str(dst),
        vcodec="libx264",
        crf=crf,
        preset=preset,
        pix_fmt="yuv420p",
        acodec="aac",
        movflags="+faststart",
    )
    return with_progress(compile_stream(out, ffmpeg_bin))


def remux_mp4_argv(src: Path, dst: Path, *, ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """Copy the streams of a recording (OBS writes MKV, which survives a crash) into an MP4 browsers can seek."""
    recording = ffmpeg.input(str(src))
    out = ffmpeg.output(recording["v:0"], recording["a?"], str(dst), c="copy", movflags="+faststart")
    return with_progress(compile_stream(out, ffmpeg_bin))


def stream_copy_argv(
    source: str,
    destination: str,
    *,
    ffmpeg_bin: str = "ffmpeg",
    realtime: bool = False,
    loop: bool = False,
    timeout_s: float = 5.0,
) -> list[str]:
    """Copy a live stream (every stream, no re-encoding) from ``source`` to the FLV/RTMP(S) ``destination``.

    ``-rw_timeout`` on both ends makes a silent peer end the process instead of hanging it. ``realtime`` and
    ``loop`` feed a file at its own pace, over and over (a rehearsal program). ``destination`` may hold a stream
    key: ffmpeg takes output URLs only on its command line.
    """
    timeout = ["-rw_timeout", str(round(timeout_s * 1_000_000))]
    pace = (["-re"] if realtime else []) + (["-stream_loop", "-1"] if loop else [])
    return [
        ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS,
        *pace, *timeout, "-i", source,
        "-map", "0", "-c", "copy", "-f", "flv", "-flvflags", "no_duration_filesize", *timeout, destination,
    ]  # fmt: skip
