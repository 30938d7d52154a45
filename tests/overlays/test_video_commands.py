"""The ffmpeg command lines for overlay videos, asserted whole (they are data; the runner executes them)."""

from __future__ import annotations

from pathlib import Path

from streamkit.overlays.video_commands import FORMATS, encode_frames_argv, extract_frame_argv, overlay_format

HEAD = ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", "-loglevel", "error"]
FRAMES = Path("/w/frame-%06d.png")


def test_vp9_with_alpha() -> None:
    argv = encode_frames_argv(FRAMES, 25, Path("/o/roll.webm"), fmt=FORMATS[".webm"], alpha=True)
    assert argv == [
        *HEAD,
        *("-framerate", "25", "-start_number", "0", "-i", "/w/frame-%06d.png"),
        *("-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32", "-deadline", "good", "-cpu-used", "4", "-row-mt", "1"),
        *("-auto-alt-ref", "0", "-pix_fmt", "yuva420p", "-r", "25", "-an", "/o/roll.webm"),
    ]


def test_prores_4444_and_its_opaque_variant() -> None:
    alpha = encode_frames_argv(FRAMES, 30, Path("/o/roll.mov"), fmt=FORMATS[".mov"], alpha=True)
    opaque = encode_frames_argv(FRAMES, 30, Path("/o/roll.mov"), fmt=FORMATS[".mov"], alpha=False)
    tail = ["-r", "30", "-an", "/o/roll.mov"]
    assert alpha[alpha.index("-c:v") :] == [
        *("-c:v", "prores_ks", "-vendor", "apl0", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"),
        *tail,
    ]
    assert opaque[opaque.index("-profile:v") + 1] == "hq" and opaque[opaque.index("-pix_fmt") + 1] == "yuv422p10le"


def test_h264_has_no_alpha_format() -> None:
    fmt = overlay_format(".MP4")
    assert fmt is not None and fmt.alpha_pix_fmt is None
    argv = encode_frames_argv(FRAMES, 25, Path("/o/roll.mp4"), fmt=fmt, alpha=True)
    assert argv[argv.index("-pix_fmt") + 1] == "yuv420p"
    assert overlay_format(".gif") is None


def test_frame_extraction_forces_the_libvpx_decoder_for_webm_only() -> None:
    webm = extract_frame_argv(Path("/o/roll.webm"), Path("/t/f.png"), at_ms=1500)
    assert webm == [
        *HEAD,
        "-ss",
        "1.500",
        "-c:v",
        "libvpx-vp9",
        "-i",
        "/o/roll.webm",
        "-frames:v",
        "1",
        "-pix_fmt",
        "rgba",
        "/t/f.png",
    ]
    mov = extract_frame_argv(Path("/o/roll.mov"), Path("/t/f.png"), at_ms=0)
    assert "-c:v" not in mov
