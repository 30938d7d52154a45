"""A video from anywhere (a phone, a camera, an OBS recording) made into what the site plays. Pure.

The MP4 is H.264/AAC at a constant frame rate with a keyframe every two seconds (the HLS ladder cuts there), its
tags dropped (phones write the place a video was taken), and always with a sound track (silence when the source
has none), since the ladder maps one.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from streamkit.media.codecs import SAMPLE_RATE, aac_args, gop_frames
from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand
from streamkit.media.hls import HlsVariant
from streamkit.media.probe import MediaInfo

MAX_FPS = Fraction(60)
FALLBACK_FPS = Fraction(25)
# what ffprobe calls the containers of still pictures: a photo has a "video" stream but is not a video
IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe", "tiff_pipe", "apng"}


def not_a_video(info: MediaInfo) -> str:
    """Why ``info`` is not a video the site can play (empty when it is one)."""
    if not info.has_video:
        return "no video stream"
    if info.format_name.split(",")[0] in IMAGE_FORMATS or info.duration_ms <= 0:
        return "a still picture, not a video"
    return ""


def output_fps(info: MediaInfo) -> Fraction:
    """The constant frame rate of the MP4: the source's average, at most 60 (VFR phone clips become CFR)."""
    fps = info.video[0].fps
    if fps <= 0:
        return FALLBACK_FPS
    return min(fps.limit_denominator(1001), MAX_FPS)


def ladder_for(height: int, renditions: Sequence[HlsVariant]) -> list[HlsVariant]:
    """The renditions no taller than the video, tallest first; a video smaller than all gets the smallest at its
    own height (never scaled up)."""
    fitting = sorted((r for r in renditions if r.height <= height), key=lambda r: -r.height)
    if fitting:
        return fitting
    smallest = min(renditions, key=lambda r: r.height)
    return [HlsVariant(height - height % 2, smallest.bitrate_kbps)]


def web_mp4_command(
    source: Path, info: MediaInfo, output: Path, *, crf: int, preset: str, ffmpeg_bin: str = "ffmpeg"
) -> FFmpegCommand:
    """The playable MP4 of ``source`` (probed as ``info``); ffmpeg turns rotated phone videos upright itself."""
    fps = output_fps(info)
    gop = gop_frames(fps)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, "-i", str(source)]
    if not info.has_audio:
        argv += ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
    argv += ["-map", f"0:{info.video[0].index}", "-map", f"0:{info.audio[0].index}" if info.has_audio else "1:a"]
    argv += ["-vf", f"fps={fps},scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1", "-pix_fmt", "yuv420p"]
    argv += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high"]
    argv += ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
    argv += aac_args("128k")
    argv += ["-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart"]
    if not info.has_audio:
        argv += ["-shortest"]
    argv += ["-t", f"{info.duration_ms / 1000:.3f}", str(output)]
    return FFmpegCommand(argv, info.duration_ms)
