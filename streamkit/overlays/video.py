"""Overlay clips (anything with frames: the name roll, a countdown) as PNG sequences or videos with alpha.

Frames are written as PNG files next to the output and encoded by ffmpeg through the media runner; the video is
verified (duration, and a decoded frame that still has transparent pixels) before it takes its final name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PIL import Image

from streamkit.errors import MediaError
from streamkit.media.publish import atomic_output, partial_path, verify_media
from streamkit.media.runner import run_ffmpeg
from streamkit.media.tools import ffmpeg_binary
from streamkit.overlays.style import OverlayStyle
from streamkit.overlays.video_commands import encode_frames_argv, extract_frame_argv, overlay_format

FRAME_PATTERN = "frame-%06d.png"


class OverlayClip(Protocol):
    """A sequence of full RGBA frames at a whole number of frames per second."""

    @property
    def size(self) -> tuple[int, int]: ...

    @property
    def fps(self) -> int: ...

    @property
    def style(self) -> OverlayStyle: ...

    @property
    def frame_count(self) -> int: ...

    @property
    def duration_s(self) -> float: ...

    def frame(self, index: int) -> Image.Image: ...


def render_clip_frames(
    clip: OverlayClip, folder: Path, *, alpha: bool = True, frames: range | None = None
) -> list[Path]:
    """Write ``frame-000000.png``… into ``folder``; without ``alpha`` the style's background fills in."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in frames if frames is not None else range(clip.frame_count):
        image = clip.frame(index)
        if not alpha:
            ground = Image.new("RGBA", clip.size, clip.style.colours.background)
            ground.alpha_composite(image)
            image = ground.convert("RGB")
        path = folder / (FRAME_PATTERN % index)
        image.save(path, compress_level=1)  # speed over size: these files are temporary or re-encoded
        written.append(path)
    return written


def publish_clip_frames(clip: OverlayClip, folder: Path, *, alpha: bool = True) -> Path:
    """Write every frame into a new ``folder``, which appears only once it is complete."""
    folder = Path(folder)
    if folder.exists():
        raise MediaError(folder, "already exists; choose a new folder for the PNG sequence")
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        render_clip_frames(clip, partial, alpha=alpha)
        os.replace(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def render_clip_video(
    clip: OverlayClip, out: Path, *, alpha: bool = True, dry_run: bool = False, show_progress: bool = True
) -> Path:
    """Encode ``clip`` to ``out`` (.webm VP9, .mov ProRes 4444, or .mp4 without alpha), published atomically."""
    out = Path(out)
    fmt = overlay_format(out.suffix)
    if fmt is None:
        raise MediaError(out, "unsupported suffix for an overlay video; use .webm (VP9), .mov (ProRes) or .mp4")
    if alpha and fmt.alpha_pix_fmt is None:
        raise MediaError(out, f"{out.suffix} cannot carry transparency; use .webm or .mov, or render without alpha")
    ffmpeg_bin = ffmpeg_binary()
    expected_ms = round(clip.duration_s * 1000)
    if dry_run:
        frames = out.parent / f".{out.stem}.frames-XXXX" / FRAME_PATTERN
        run_ffmpeg(
            encode_frames_argv(frames, clip.fps, partial_path(out), fmt=fmt, alpha=alpha, ffmpeg_bin=ffmpeg_bin),
            dry_run=True,
        )
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.stem}.frames-", dir=out.parent))
    try:
        verify = _verify_clip(expected_ms, 1000 // clip.fps, alpha, ffmpeg_bin, work)
        with atomic_output(out, verify=verify) as partial:
            render_clip_frames(clip, work, alpha=alpha)
            argv = encode_frames_argv(
                work / FRAME_PATTERN, clip.fps, partial, fmt=fmt, alpha=alpha, ffmpeg_bin=ffmpeg_bin
            )
            run_ffmpeg(
                argv,
                expected_duration_ms=expected_ms,
                description=f"encoding {out.name}",
                show_progress=show_progress,
                output_path=out,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _verify_clip(expected_ms: int, frame_ms: int, alpha: bool, ffmpeg_bin: str, work: Path) -> Callable[[Path], None]:
    """The file probes with the planned duration, and (for alpha) a middle frame decodes with transparency."""
    check_media = verify_media(expected_ms, tolerance_ms=max(200, 2 * frame_ms))

    def verify(path: Path) -> None:
        check_media(path)
        if not alpha:
            return
        probe_png = work / "alpha-check.png"
        run_ffmpeg(
            extract_frame_argv(path, probe_png, at_ms=expected_ms // 2, ffmpeg_bin=ffmpeg_bin),
            show_progress=False,
            output_path=path,
        )
        with Image.open(probe_png) as frame:
            extrema = frame.convert("RGBA").getchannel("A").getextrema()
        if extrema[0] == 255:
            raise MediaError(path, "the encoded video has no transparent pixels; its alpha channel was lost")

    return verify
