"""The codec choices every output shares: 48 kHz stereo AAC, H.264 with a keyframe every two seconds."""

from __future__ import annotations

from fractions import Fraction

SAMPLE_RATE = 48_000
# a keyframe every 2 s: HLS cuts segments only there, and players seek to the nearest one
GOP_SECONDS = 2


def gop_frames(fps: Fraction) -> int:
    """The keyframe interval in frames at ``fps``."""
    return max(1, round(fps * GOP_SECONDS))


def aac_args(bitrate: str) -> list[str]:
    """AAC at ``bitrate``, 48 kHz stereo."""
    return ["-c:a", "aac", "-b:a", bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2"]
