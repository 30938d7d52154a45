"""The name roll: duration and speed match the plan; videos keep their alpha; nothing half-written on failure."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from streamkit.errors import FFmpegError, MediaError
from streamkit.media.probe import probe
from streamkit.media.runner import run_ffmpeg, run_tool
from streamkit.media.samples import SampleSet
from streamkit.media.tools import ffprobe_binary
from streamkit.overlays import (
    CountdownClip,
    NameRoll,
    OverlayTextError,
    RegisterEntry,
    load_register,
    publish_clip_frames,
    publish_name_roll_frames,
    render_clip_video,
    render_countdown,
    render_name_roll_video,
)
from streamkit.overlays.video_commands import extract_frame_argv

SIZE = (320, 180)
Entries = tuple[RegisterEntry, ...]


@pytest.fixture(scope="module")
def entries(samples: SampleSet) -> Entries:
    return load_register(samples.register)


def measured_shift(a: Image.Image, b: Image.Image, *, max_shift: int = 80) -> int:
    """How many pixels frame ``b`` has moved up relative to ``a``, found by matching the middle band exactly."""
    width, height = a.size
    band = (0, height // 3, width, height // 3 + height // 4)  # inside the fade margins
    target = b.crop(band)
    for shift in range(max_shift + 1):
        source = a.crop((band[0], band[1] + shift, band[2], band[3] + shift))
        if ImageChops.difference(source, target).getbbox() is None:
            return shift
    raise AssertionError("no shift reproduces the later frame")


def test_duration_covers_the_whole_travel_at_the_planned_speed(entries: Entries) -> None:
    roll = NameRoll(entries, size=SIZE, fps=25, speed_px_per_s=40)
    travel = SIZE[1] + roll.content_height
    assert roll.travel_px == travel
    # long enough for the whole travel, and at most two frames longer (rounding up, plus the closing empty frame)
    assert travel / 40 <= roll.duration_s <= travel / 40 + 2 / 25
    assert roll.frame_count == round(roll.duration_s * 25)
    # every name is placed: rows x columns hold all entries
    assert roll.rows * roll.columns >= len(entries) > (roll.rows - 1) * roll.columns
    # the first frame is empty (content below the frame), the last one too (content gone above)
    assert roll.frame(0).getchannel("A").getbbox() is None
    assert roll.frame(roll.frame_count - 1).getchannel("A").getbbox() is None
    assert roll.frame(roll.frame_count // 2).getchannel("A").getbbox() is not None


@pytest.mark.parametrize(("fps", "speed"), [(25, 50.0), (30, 45.0), (25, 36.0)])
def test_scroll_speed_measured_between_frames_matches_the_plan(entries: Entries, fps: int, speed: float) -> None:
    roll = NameRoll(entries, size=SIZE, fps=fps, speed_px_per_s=speed)
    first = roll.frame_count // 3
    for step in (1, 5, fps):
        shift = measured_shift(roll.frame(first), roll.frame(first + step))
        assert abs(shift - step * speed / fps) <= 1, (step, shift)
    # over a whole second the measured scroll equals the speed (to the pixel)
    assert abs(measured_shift(roll.frame(first), roll.frame(first + fps)) - speed) <= 1


def test_speed_defaults_to_the_style_and_scales_with_the_frame(entries: Entries) -> None:
    small = NameRoll(entries, size=(640, 360), fps=25)
    large = NameRoll(entries, size=(1280, 720), fps=25)
    portrait = NameRoll(entries, size=(360, 640), fps=25)
    assert math.isclose(large.speed_px_per_s, 2 * small.speed_px_per_s)
    assert math.isclose(portrait.speed_px_per_s, small.speed_px_per_s)  # the shorter side sets the scale
    assert portrait.columns < small.columns
    assert math.isclose(small.speed_px_per_s, 0.06 * 360)  # memorial.yaml: 0.06 shorter sides per second


@pytest.mark.parametrize("long_name", [False, True])
def test_names_stay_inside_the_horizontal_safe_margins(entries: Entries, long_name: bool) -> None:
    if long_name:  # one name wider than a portrait frame's safe area at the style's size
        entries = (
            *entries[:9],
            entries[9].model_copy(update={"name": "阿卜杜热合曼·买买提艾力·吐尔逊巴克·艾尔肯江·阿布都"}),
        )
    roll = NameRoll(entries, size=(360, 640), fps=25, speed_px_per_s=400)
    safe = roll.geometry.safe
    for index in range(0, roll.frame_count, 3):
        drawn = roll.frame(index).getchannel("A").getbbox()
        if drawn:
            assert safe.left <= drawn[0] and drawn[2] <= safe.right, (index, drawn)


def _alpha_extrema(video: Path, at_ms: int, tmp_path: Path) -> tuple[int, int]:
    frame = tmp_path / f"{video.stem}-frame.png"
    run_ffmpeg(extract_frame_argv(video, frame, at_ms=at_ms), show_progress=False)
    with Image.open(frame) as image:
        assert image.mode == "RGBA"
        extrema: tuple[int, int] = image.getchannel("A").getextrema()
    return extrema


def _stream_field(video: Path, entry: str) -> str:
    done = run_tool(
        [
            ffprobe_binary(),
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            entry,
            "-of",
            "default=nw=1:nk=1",
            str(video),
        ]
    )
    return done.stdout.decode().strip()


@pytest.mark.slow
def test_vp9_webm_keeps_alpha_and_lasts_as_planned(entries: Entries, tmp_path: Path) -> None:
    roll = NameRoll(entries[:8], size=SIZE, fps=25, speed_px_per_s=150)
    out = render_name_roll_video(roll, tmp_path / "roll.webm", show_progress=False)
    info = probe(out)
    assert abs(info.duration_ms - roll.duration_s * 1000) <= 80
    assert info.video[0].codec == "vp9"
    assert _stream_field(out, "stream_tags=alpha_mode") == "1"  # the WebM muxer's flag for an alpha layer
    low, high = _alpha_extrema(out, round(roll.duration_s * 500), tmp_path)
    assert low == 0 and high == 255  # transparent around the names, opaque names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roll-frame.png", "roll.webm"]  # no frames left behind


@pytest.mark.slow
def test_prores_4444_mov_keeps_alpha(entries: Entries, tmp_path: Path) -> None:
    roll = NameRoll(entries[:6], size=SIZE, fps=25, speed_px_per_s=200)
    out = render_name_roll_video(roll, tmp_path / "roll.mov", show_progress=False)
    # encoded from yuva444p10le; ffmpeg 5.1's ProRes decoder reports 4444 as yuva444p12le
    assert _stream_field(out, "stream=pix_fmt").startswith("yuva444p")
    assert _alpha_extrema(out, round(roll.duration_s * 500), tmp_path)[0] == 0


def test_mp4_cannot_carry_alpha(entries: Entries, tmp_path: Path) -> None:
    roll = NameRoll(entries[:4], size=SIZE, fps=25, speed_px_per_s=200)
    with pytest.raises(MediaError, match="cannot carry transparency"):
        render_name_roll_video(roll, tmp_path / "roll.mp4")
    assert list(tmp_path.iterdir()) == []


def test_failed_encode_leaves_nothing_under_the_final_name(
    entries: Entries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_MEDIA__FFMPEG", "false")  # a "ffmpeg" that always fails
    roll = NameRoll(entries[:4], size=SIZE, fps=25, speed_px_per_s=300)
    with pytest.raises(FFmpegError):
        render_name_roll_video(roll, tmp_path / "roll.webm", show_progress=False)
    assert list(tmp_path.iterdir()) == []  # no video, no partial file, no frame folder


def test_png_sequence_has_every_frame(entries: Entries, tmp_path: Path) -> None:
    roll = NameRoll(entries[:4], size=SIZE, fps=10, speed_px_per_s=300)
    folder = publish_name_roll_frames(roll, tmp_path / "frames")
    frames = sorted(folder.iterdir())
    assert len(frames) == roll.frame_count
    with Image.open(frames[len(frames) // 2]) as middle:
        assert middle.mode == "RGBA" and middle.size == SIZE
        assert ImageChops.difference(middle, roll.frame(len(frames) // 2)).getbbox() is None
    with pytest.raises(MediaError, match="already exists"):
        publish_name_roll_frames(roll, folder)


def test_countdown_clip_has_one_frame_per_second_down_to_zero(tmp_path: Path) -> None:
    clip = CountdownClip(5, size=SIZE)
    folder = publish_clip_frames(clip, tmp_path / "countdown")
    frames = sorted(folder.iterdir())
    assert len(frames) == 6 and clip.duration_s == 6.0
    for index in (0, 5):
        with Image.open(frames[index]) as written:
            expected = render_countdown(5 - index, size=SIZE)
            assert ImageChops.difference(written, expected).getbbox() is None
    assert ImageChops.difference(clip.frame(0), clip.frame(1)).getbbox() is not None  # the digits change
    with pytest.raises(OverlayTextError, match="negative"):
        CountdownClip(-3)


@pytest.mark.slow
def test_countdown_video_lasts_one_second_per_frame(tmp_path: Path) -> None:
    out = render_clip_video(CountdownClip(3, size=SIZE), tmp_path / "countdown.webm", show_progress=False)
    assert abs(probe(out).duration_ms - 4000) <= 100
    low, high = _alpha_extrema(out, 2500, tmp_path)
    assert low == 0 and high == 255
