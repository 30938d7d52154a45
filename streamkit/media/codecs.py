"""The codec choices every output shares: 48 kHz stereo AAC, H.264 with a keyframe every two seconds."""

from __future__ import annotations

from fractions import Fraction

SAMPLE_RATE = 48_000
# a keyframe every 2 s: HLS cuts segments only there, and players seek to the nearest one
GOP_SECONDS = 2
# x264's output depends on its thread count (frame threads limit each other's motion search), and its automatic
# count follows the machine's cores: a fixed count gives the same pictures on every machine and at any parallelism
X264_THREADS = 4
# x264's macroblock tree encoded the same frames differently from run to run once libass had loaded (and freed) the
# caption font: its output depends on what recycled heap memory holds; without it the output is the same every run
# (tests/tours/ffmpeg/test_chunks.py, docs/decisions-tours.md)
X264_DETERMINISTIC = ["mbtree=0"]


def gop_frames(fps: Fraction) -> int:
    """The keyframe interval in frames at ``fps``."""
    return max(1, round(fps * GOP_SECONDS))


def aac_args(bitrate: str) -> list[str]:
    """AAC at ``bitrate``, 48 kHz stereo."""
    return ["-c:a", "aac", "-b:a", bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2"]
