"""ffmpeg command lines around the moviepy engine: measure a sound file's loudness, and the final mux. Pure.

moviepy makes every picture and every sample; ffmpeg only measures (``ebur128``) and muxes what moviepy cannot
write: chapters, the soft ``mov_text`` caption track, ``+faststart``.
"""

from __future__ import annotations

from pathlib import Path

from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand
from streamkit.media.tour_graph import SAMPLE_RATE, filter_value


def measure_loudness_command(sound: Path, stats_file: Path, duration_ms: int, *, ffmpeg_bin: str) -> FFmpegCommand:
    """``ebur128`` over one sound file; the values land in ``stats_file`` (read with ``parse_ebur128_stats``)."""
    chain = f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={filter_value(str(stats_file))}"
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, "-i", str(sound), "-af", chain, "-f", "null", "-"]
    return FFmpegCommand(argv, duration_ms)


def mux_command(
    picture: Path,
    sound: Path,
    output: Path,
    duration_ms: int,
    *,
    soft_srt: Path | None,
    metadata: Path | None,
    audio_bitrate: str = "160k",
    ffmpeg_bin: str,
) -> FFmpegCommand:
    """The moviepy picture (copied) and sound (AAC 48 kHz) with chapters and soft captions, cut to the plan."""
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, "-i", str(picture), "-i", str(sound)]
    maps = ["-map", "0:v", "-map", "1:a"]
    tail: list[str] = []
    n = 2
    if soft_srt is not None:
        argv += ["-i", str(soft_srt)]
        maps += ["-map", f"{n}:s"]
        tail += ["-c:s", "mov_text", "-metadata:s:s:0", "language=chi", "-metadata:s:s:0", "title=中文字幕"]
        n += 1
    if metadata is not None:
        argv += ["-i", str(metadata)]
        tail += ["-map_metadata", str(n), "-map_chapters", str(n)]
    argv += [*maps, "-c:v", "copy", "-c:a", "aac", "-b:a", audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2"]
    argv += [*tail, "-t", f"{duration_ms / 1000:.3f}", "-movflags", "+faststart", str(output)]
    return FFmpegCommand(argv, duration_ms)
