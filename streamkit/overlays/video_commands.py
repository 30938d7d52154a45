"""ffmpeg command lines for overlay videos: a PNG sequence in, a video with (or without) an alpha channel out.

Alpha-capable codecs ffmpeg 5.1 encodes here (``ffmpeg -h encoder=…``):

* VP9 in WebM, ``libvpx-vp9`` with ``yuva420p``: small files; OBS media sources and browsers play the alpha.
  ffmpeg's native ``vp9`` decoder ignores the alpha layer, so decoding forces ``-c:v libvpx-vp9`` before ``-i``.
  ``-auto-alt-ref 0`` because libvpx refuses alt-ref frames together with transparency.
* ProRes 4444 in QuickTime, ``prores_ks -profile:v 4444`` with ``yuva444p10le``: large, for editors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from streamkit.media.commands import with_progress

OverlayCodec = Literal["vp9", "prores", "h264"]


@dataclass(frozen=True)
class OverlayFormat:
    """What a file suffix means for an overlay video."""

    codec: OverlayCodec
    alpha_pix_fmt: str | None  # None: the container/codec cannot carry alpha
    opaque_pix_fmt: str
    codec_args: tuple[str, ...]


FORMATS: dict[str, OverlayFormat] = {
    ".webm": OverlayFormat(
        "vp9",
        "yuva420p",
        "yuv420p",
        (
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "0",
            "-crf",
            "32",
            "-deadline",
            "good",
            "-cpu-used",
            "4",
            "-row-mt",
            "1",
            "-auto-alt-ref",
            "0",
        ),
    ),
    ".mov": OverlayFormat("prores", "yuva444p10le", "yuv422p10le", ("-c:v", "prores_ks", "-vendor", "apl0")),
    ".mp4": OverlayFormat(
        "h264", None, "yuv420p", ("-c:v", "libx264", "-crf", "20", "-preset", "veryfast", "-movflags", "+faststart")
    ),
}


def overlay_format(suffix: str) -> OverlayFormat | None:
    return FORMATS.get(suffix.lower())


def encode_frames_argv(
    frames_pattern: Path, fps: int, out: Path, *, fmt: OverlayFormat, alpha: bool, ffmpeg_bin: str = "ffmpeg"
) -> list[str]:
    """Encode ``frame-%06d.png`` files at ``fps`` into ``out`` (argv only; the runner runs it)."""
    pix_fmt = fmt.alpha_pix_fmt if alpha and fmt.alpha_pix_fmt else fmt.opaque_pix_fmt
    profile = ["-profile:v", "4444" if alpha else "hq"] if fmt.codec == "prores" else []
    argv = [
        ffmpeg_bin,
        "-framerate",
        str(fps),
        "-start_number",
        "0",
        "-i",
        str(frames_pattern),
        *fmt.codec_args,
        *profile,
        "-pix_fmt",
        pix_fmt,
        "-r",
        str(fps),
        "-an",
        str(out),
    ]
    return with_progress(argv)


def extract_frame_argv(video: Path, out_png: Path, *, at_ms: int, ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """One RGBA frame of ``video`` at ``at_ms`` as PNG, keeping a VP9 alpha layer (libvpx decoder)."""
    decoder = ["-c:v", "libvpx-vp9"] if video.suffix.lower() == ".webm" else []
    argv = [
        ffmpeg_bin,
        "-ss",
        f"{at_ms / 1000:.3f}",
        *decoder,
        "-i",
        str(video),
        "-frames:v",
        "1",
        "-pix_fmt",
        "rgba",
        str(out_png),
    ]
    return with_progress(argv)
