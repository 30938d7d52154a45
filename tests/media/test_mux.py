"""The one mux command: picture copied, sound copied or encoded, soft captions and chapters, ``+faststart``."""

from __future__ import annotations

from pathlib import Path

from streamkit.media.codecs import aac_args
from streamkit.media.mux import mux_command


def test_mux_encodes_the_sound_and_cuts_to_the_plan_when_asked() -> None:
    command = mux_command(
        ["-i", "/w/picture.mp4"],
        Path("/w/mix.wav"),
        Path("/o/.t.partial.mp4"),
        12_345,
        audio=aac_args("160k"),
        soft_srt=Path("/w/captions.srt"),
        metadata=Path("/w/chapters.ffmeta"),
        cut=True,
        ffmpeg_bin="ffmpeg",
    )
    assert command.argv == [
        "ffmpeg", "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", "-loglevel", "error",
        "-i", "/w/picture.mp4", "-i", "/w/mix.wav", "-i", "/w/captions.srt", "-i", "/w/chapters.ffmeta",
        "-map", "0:v", "-map", "1:a", "-map", "2:s", "-c:v", "copy",
        "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2",
        "-c:s", "mov_text", "-metadata:s:s:0", "language=chi", "-metadata:s:s:0", "title=中文字幕",
        "-map_metadata", "3", "-map_chapters", "3", "-t", "12.345", "-movflags", "+faststart", "/o/.t.partial.mp4",
    ]  # fmt: skip
    assert command.expected_duration_ms == 12_345 and command.scripts == ()


def test_mux_without_captions_or_chapters_maps_only_picture_and_sound() -> None:
    argv = mux_command(["-i", "/w/p.mp4"], Path("/w/s.m4a"), Path("/o/t.mp4"), 1000, ffmpeg_bin="ffmpeg").argv
    tail = argv[argv.index("-map") :]
    assert tail == ["-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "copy", "-movflags", "+faststart", "/o/t.mp4"]
