"""The last step of a render: picture and sound copied into the MP4 with soft captions and chapters. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand, InputList, seconds

# the soft caption track: mov_text is the one text codec MP4 players read; tagged Chinese for the player's menu
SOFT_CAPTIONS = ["-c:s", "mov_text", "-metadata:s:s:0", "language=chi", "-metadata:s:s:0", "title=中文字幕"]


def captions_and_chapters(
    inputs: InputList, soft_srt: Path | None, metadata: Path | None
) -> tuple[list[str], list[str]]:
    """Adds the soft captions and the ffmetadata chapters as inputs: (their maps, their output options)."""
    maps: list[str] = []
    tail: list[str] = []
    if soft_srt is not None:
        n = inputs.add("-i", str(soft_srt))
        maps += ["-map", f"{n}:s"]
        tail += SOFT_CAPTIONS
    if metadata is not None:
        n = inputs.add("-i", str(metadata))
        tail += ["-map_metadata", str(n), "-map_chapters", str(n)]
    return maps, tail


def mux_command(
    picture: Sequence[str],
    sound: Path,
    output: Path,
    duration_ms: int,
    *,
    audio: Sequence[str] = ("-c:a", "copy"),
    soft_srt: Path | None = None,
    metadata: Path | None = None,
    cut: bool = False,
    ffmpeg_bin: str,
) -> FFmpegCommand:
    """The picture (``picture``: its input options, ending ``-i FILE``) copied, the sound copied or encoded
    (``audio``), the soft captions and chapters added, ``+faststart``; with ``cut``, cut to ``duration_ms``."""
    inputs = InputList()
    inputs.add(*picture)
    inputs.add("-i", str(sound))
    soft_maps, tail = captions_and_chapters(inputs, soft_srt, metadata)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *inputs.argv, "-map", "0:v", "-map", "1:a", *soft_maps]
    argv += ["-c:v", "copy", *audio, *tail, *(["-t", seconds(duration_ms)] if cut else [])]
    return FFmpegCommand([*argv, "-movflags", "+faststart", str(output)], duration_ms)
