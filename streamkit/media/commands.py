"""ffmpeg argv idioms every builder shares: the escaper, filter graphs, inputs, the command value. Pure.

ffmpeg-python compiles stream graphs into argv; it stays behind this module so it can be replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg

# Linux refuses any single argument of 128 KiB or more (MAX_ARG_STRLEN); stay well below it.
FILTER_SCRIPT_THRESHOLD = 64 * 1024
# One filter thread: with slice threads, ffmpeg 5.1's `scale` rebuilds its thread pool and swscale contexts at
# every reconfigure, which a Ken Burns zoom does every frame, and x264 keeps the cores busy anyway
# (bench/ken_burns.py measures it).
FILTER_THREADS = ["-filter_complex_threads", "1"]

COMMON_HEAD = ["-hide_banner", "-nostdin", "-y"]
PROGRESS_ARGS = ["-progress", "pipe:1", "-nostats", "-loglevel", "error"]


@dataclass(frozen=True)
class ScriptFile:
    """A text file an ffmpeg command reads (a filter script), kept as data until the executor writes it."""

    path: Path
    text: str


@dataclass(frozen=True)
class FFmpegCommand:
    """An ffmpeg invocation: argv, plus the script files it reads (``write_scripts`` before running it)."""

    argv: list[str]
    expected_duration_ms: int | None = None
    scripts: tuple[ScriptFile, ...] = field(default_factory=tuple)

    def write_scripts(self) -> None:
        for script in self.scripts:
            script.path.write_text(script.text, encoding="utf-8")

    def cleanup(self) -> None:
        for script in self.scripts:
            script.path.unlink(missing_ok=True)


def filter_value(text: str) -> str:
    """Quote a value (a path) for an option inside a filtergraph: both escaping levels ffmpeg applies."""
    quoted = "'" + text.replace("'", "'\\''") + "'"  # level 1: the option parser
    return "".join("\\" + c if c in "\\'[],;" else c for c in quoted)  # level 2: the graph parser


def seconds(ms: int) -> str:
    """Milliseconds as ffmpeg's seconds, to the millisecond."""
    return f"{ms / 1000:.3f}"


class InputList:
    """The ``-i`` inputs of a command being built; ``add`` returns each one's index for the graph."""

    def __init__(self) -> None:
        self.argv: list[str] = []
        self.count = 0

    def add(self, *args: str) -> int:
        self.argv += [*args]
        self.count += 1
        return self.count - 1


def compile_stream(stream: Any, ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """Compile an ffmpeg-python output node into argv (pure)."""
    argv: list[str] = ffmpeg.compile(stream, cmd=ffmpeg_bin)
    return argv


def with_progress(argv: Sequence[str]) -> list[str]:
    """Insert our common head and machine-readable progress right after the binary."""
    return [argv[0], *COMMON_HEAD, *PROGRESS_ARGS, *[a for a in argv[1:] if a not in ("-y",)]]


def filter_graph_args(graph: str, script: Path) -> tuple[list[str], tuple[ScriptFile, ...]]:
    """``-filter_complex GRAPH``, or ``-filter_complex_script SCRIPT`` when the graph is too long for argv (the
    script's text is returned for the executor to write); either way filtered in one thread (``FILTER_THREADS``)."""
    if len(graph.encode()) < FILTER_SCRIPT_THRESHOLD:
        return [*FILTER_THREADS, "-filter_complex", graph], ()
    return [*FILTER_THREADS, "-filter_complex_script", str(script)], (ScriptFile(script, graph),)


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


def flv_pull_argv(
    source: str, *, ffmpeg_bin: str = "ffmpeg", loop_file: bool = False, timeout_s: float = 5.0
) -> list[str]:
    """Copy a live stream (or a file, looped in real time) to FLV on stdout, each packet flushed as it comes."""
    # a short probe: a program that comes back goes on air again sooner (the whole probe is a frozen picture)
    live = ["-analyzeduration", "1000000", "-rw_timeout", str(round(timeout_s * 1_000_000))]
    head = ["-re", "-stream_loop", "-1"] if loop_file else live
    return [
        ffmpeg_bin, *COMMON_HEAD, "-loglevel", "error", *head, "-i", source,
        "-map", "0", "-c", "copy", "-flush_packets", "1", "-f", "flv", "-flvflags", "no_duration_filesize", "pipe:1",
    ]  # fmt: skip


def flv_push_argv(destination: str, *, ffmpeg_bin: str = "ffmpeg", timeout_s: float = 5.0) -> list[str]:
    """Publish the FLV arriving on stdin to an RTMP ``destination`` as it comes (no re-encoding); a relay that stops
    reading ends the process instead of blocking whoever writes to it."""
    return [
        ffmpeg_bin, *COMMON_HEAD, "-loglevel", "error", "-fflags", "nobuffer", "-f", "flv", "-i", "pipe:0",
        "-map", "0", "-c", "copy", "-f", "flv", "-flvflags", "no_duration_filesize",
        "-rw_timeout", str(round(timeout_s * 1_000_000)), destination,
    ]  # fmt: skip


def slate_argv(
    target: Path,
    *,
    width: int,
    height: int,
    fps: float,
    sample_rate: int,
    channels: int,
    text: str = "",
    fontfile: Path | None = None,
    image: Path | None = None,
    seconds: float = 4.0,
    ffmpeg_bin: str = "ffmpeg",
) -> list[str]:
    """A short standby loop as FLV with the program's picture size, rate and sound layout (H.264 + AAC, a keyframe
    every half second so a switch to it waits little)."""
    size, rate = f"{width}x{height}", f"{fps:g}"
    if image is not None:
        picture = ["-loop", "1", "-framerate", rate, "-t", f"{seconds:g}", "-i", str(image)]
        scale = f"scale={size}:force_original_aspect_ratio=decrease,pad={size}:(ow-iw)/2:(oh-ih)/2,format=yuv420p"
    else:
        picture = ["-f", "lavfi", "-i", f"color=c=0x1b1b1f:s={size}:r={rate}:d={seconds:g}"]
        scale = "format=yuv420p"
    if text and fontfile is not None:
        scale += (
            f",drawtext=fontfile={filter_value(str(fontfile))}:text={filter_value(text)}"
            f":fontcolor=white:fontsize=h/12:x=(w-tw)/2:y=(h-th)/2"
        )
    layout = "mono" if channels == 1 else "stereo"
    return [
        ffmpeg_bin, *COMMON_HEAD, "-loglevel", "error", *picture,
        "-f", "lavfi", "-i", f"anullsrc=r={sample_rate}:cl={layout}",
        "-vf", scale, "-t", f"{seconds:g}", "-r", rate,
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-g", str(max(1, round(fps / 2))),
        "-c:a", "aac", "-b:a", "64k", "-ar", str(sample_rate), "-ac", str(channels),
        "-f", "flv", str(target),
    ]  # fmt: skip


def live_probe_argv(url: str, *, ffprobe_bin: str = "ffprobe", timeout_s: float = 5.0) -> list[str]:
    """ffprobe of a live stream's picture and sound, as JSON (the relay's own stream metadata is not exact)."""
    return [
        ffprobe_bin, "-v", "error", "-rw_timeout", str(round(timeout_s * 1_000_000)),
        "-show_entries", "stream=codec_type,width,height,avg_frame_rate,r_frame_rate,sample_rate,channels",
        "-of", "json", url,
    ]  # fmt: skip
