"""Ken Burns moves planned as whole-pixel crops and scales: the geometry, the ffmpeg steps, and a real render."""

from __future__ import annotations

import hashlib
import itertools
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamkit.media.commands import InputList, filter_value
from streamkit.tours.ffmpeg import ken_burns
from streamkit.tours.ffmpeg.video import video_graph
from streamkit.tours.inputs import PlannedMove, TourInputs
from streamkit.tours.spec import Ducking
from tests.tours.conftest import ffmpeg_stderr, gray_frames, render_texture_move

MOVES = ("in", "out", "pan-left", "pan-right")


def _achieved(plan: ken_burns.KenBurnsPlan, i: int, axis: int, pixel: float) -> float:
    """Where output ``pixel`` samples the padded still at frame ``i`` (swscale maps pixel centres)."""
    start, length = plan.crops[i][axis], plan.crops[i][axis + 2]
    scaled, offset = plan.scaled[i][axis], plan.offsets[i][axis]
    return start + (pixel + offset + 0.5) * length / scaled - 0.5


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("size", [(320, 180), (1280, 720), (1920, 1080)])
def test_every_frame_lands_within_the_error_bound_of_the_exact_window(move: str, size: tuple[int, int]) -> None:
    frames = 105
    plan = ken_burns.plan_move(move, frames, 0.12, size)
    smaller = [s for s in ken_burns.SOURCE_SCALES if ken_burns.still_size(size, s)[0] < plan.still_size[0]]
    for scale in smaller:  # the smallest still that fits is the one taken
        assert ken_burns._plan(move, frames, 0.12, size, ken_burns.still_size(size, scale)).worst_error_px > 0.15
    worst = 0.0
    for i in range(frames):
        left, _, zoom = ken_burns.window(move, i, frames, 0.12, plan.still_size)
        span_x = plan.still_size[0] / zoom
        span_y = span_x * size[1] / size[0]  # the frame's aspect, whatever the still's rounding
        top = (plan.still_size[1] - span_y) / 2
        for axis, (origin, span, out) in enumerate(((left, span_x, size[0]), (top, span_y, size[1]))):
            for pixel in (0, out - 1):  # the frame's two edges: where a scale error shows most
                exact = ken_burns.PAD + origin + (pixel + 0.5) * span / out - 0.5
                worst = max(worst, abs(_achieved(plan, i, axis, pixel) - exact) * out / span)
        x, y, w, h = plan.crops[i]
        pw, ph = plan.padded_size
        assert x >= 0 and x + w <= pw and y >= 0 and y + h <= ph  # the crop stays inside the padded still
        (d, e), (ox, oy) = plan.scaled[i], plan.offsets[i]
        assert ox + size[0] <= d and oy + size[1] <= e  # and the frame inside the scaled picture
    assert worst <= ken_burns.MAX_ERROR_PX
    assert worst == pytest.approx(plan.worst_error_px, abs=0.01)


@pytest.mark.parametrize(("amount", "still_width"), [(0.02, 1728), (0.12, 1600), (0.2, 1600), (0.3, 1728)])
def test_zooms_near_simple_ratios_take_another_still_to_stay_within_the_bound(amount: float, still_width: int) -> None:
    # a still 1.25x the frame zoomed by 30 % passes a scale ratio of about 1:1, and one barely zoomed stays near
    # 5:4: ratios the even integers approximate worst, so the planner tries other stills
    plan = ken_burns.plan_move("in", 105, amount, (1280, 720))
    assert plan.worst_error_px <= ken_burns.MAX_ERROR_PX
    assert plan.still_size[0] == still_width
    assert ken_burns._plan("in", 105, 0.3, (1280, 720), (1600, 900)).worst_error_px > 0.5


def test_a_move_no_still_places_is_reported_over_the_bound() -> None:
    plan = ken_burns.plan_move("in", 105, 0.5, (1280, 720))
    assert plan.worst_error_px > ken_burns.MAX_ERROR_PX  # the caller keeps perspective for it


@pytest.mark.parametrize("move", MOVES)
def test_the_scaled_size_and_the_second_crop_are_even_for_4_2_0(move: str) -> None:
    plan = ken_burns.plan_move(move, 105, 0.12, (1280, 720))
    assert all(d % 2 == 0 and e % 2 == 0 for d, e in plan.scaled)
    assert all(ox % 2 == 0 and oy % 2 == 0 for ox, oy in plan.offsets)


def _evaluate(expression: str, n: int) -> int:
    """A tiny evaluator for the ``if(lt(n,k),a,b)`` trees ``frame_table`` writes."""
    text = expression.replace("\\,", ",")
    while text.startswith("if("):
        m = re.match(r"if\(lt\(n,(\d+)\),", text)
        assert m is not None
        rest, depth, split = text[m.end() : -1], 0, 0
        for k, c in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(c, 0)
            if c == "," and depth == 0:
                split = k
                break
        text = rest[:split] if n < int(m.group(1)) else rest[split + 1 :]
    return int(text)


def test_frame_table_gives_each_frame_its_value_and_stays_shallow() -> None:
    values = [7, 7, 9, 3, 3, 3, 12, 1, 1, 5] * 14
    expression = ken_burns.frame_table(values)
    assert [_evaluate(expression, n) for n in range(len(values))] == values
    assert max(len(part) for part in re.findall(r"\(+", expression)) <= 2  # no deep nesting of parentheses
    assert expression.count("if(") < len(values)
    assert ken_burns.frame_table([4] * 50) == "4"


def test_sendcmd_script_sets_the_first_crop_half_a_frame_early() -> None:
    plan = ken_burns.plan_move("pan-right", 5, 0.2, (320, 180))
    lines = ken_burns.sendcmd_script(plan, Fraction(25), "crop@kb3").splitlines()
    assert len(lines) == 5
    x, y, w, h = plan.crops[2]
    assert lines[0].startswith("0.000000 crop@kb3 w ")
    assert lines[2] == f"0.060000 crop@kb3 w {w}, crop@kb3 h {h}, crop@kb3 x {x}, crop@kb3 y {y};"


def test_graph_moves_a_planned_photo_with_crop_scale_crop_and_no_perspective() -> None:
    from streamkit.tours.timeline import build_timeline
    from tests.tours.specs import MEDIA, make_tour

    plan = build_timeline(make_tour(), MEDIA)
    photo = 2  # the first photo shot of the test tour moves "in"
    shot = plan.shots[photo]
    move = ken_burns.plan_move(shot.move, shot.frames, 0.12, (320, 180))
    inputs = TourInputs(
        ducking=Ducking(),
        ken_burns=0.12,
        stills={0: Path("/c/title.png"), 2: Path("/c/a.png"), 3: Path("/c/b.png"), 5: Path("/c/outro.png")},
        moves={photo: PlannedMove(move, Path("/w/move-2.cmd"))},
    )
    args = InputList()
    parts = video_graph(plan, inputs, args)
    chain = next(p for p in parts if p.endswith(f"[s{photo}]"))
    assert chain.startswith("[2:v]pad=528:353:64:64,fillborders=")
    # the still is read raw at the size the plan was made for (1.25x the frame), the others at the frame's
    assert " ".join(args.argv).count("-f rawvideo -pixel_format yuv444p -video_size 400x225 -framerate 25 -i ") == 1
    assert " ".join(args.argv).count("-f rawvideo -pixel_format yuv444p -video_size 320x180 -framerate 25 -i ") == 3
    x, y, w, h = move.crops[0]
    assert f"sendcmd=f=\\'/w/move-2.cmd\\',crop@kb2={w}:{h}:{x}:{y}:exact=1,scale=w='" in chain
    assert ":eval=frame:flags=bilinear,crop=320:180:x='" in chain and "perspective" not in chain
    assert "+0*n" in chain  # the scale re-reads the first crop's size every frame
    other = next(p for p in parts if p.endswith("[s3]"))
    assert "perspective=" in other  # a photo without a plan keeps perspective


def test_a_pan_with_constant_sizes_lets_the_scale_keep_its_context() -> None:
    pan = ken_burns.plan_move("pan-left", 105, 0.12, (320, 180))
    assert len(set(pan.scaled)) == 1 and len({c[2:] for c in pan.crops}) == 1
    steps = ken_burns.graph_steps(pan, "m.cmd", "kb")
    assert "+0*n" not in steps[2] and steps[2].startswith(f"scale=w='{pan.scaled[0][0]}':h='{pan.scaled[0][1]}'")
    zoom = ken_burns.plan_move("in", 105, 0.12, (320, 180))
    assert "+0*n" in ken_burns.graph_steps(zoom, "m.cmd", "kb")[2]  # sizes change: re-read every frame


@pytest.mark.parametrize("move", ["in", "pan-left"])
def test_ffmpeg_runs_the_plan_onto_the_exact_window(move: str, tmp_path: Path) -> None:
    """The filters as the graph writes them, on a noise still (the same noise in luma and blue chroma), against an
    exact bilinear warp of every frame; the chroma must stay on the luma whatever the parity of the crops."""
    size, frames = (320, 180), 60
    plan = ken_burns.plan_move(move, frames, 0.2, size)
    sw, sh = plan.still_size
    still = cv2.GaussianBlur(np.random.default_rng(5).integers(16, 235, (sh, sw), dtype=np.uint8), (0, 0), 2.5)
    (tmp_path / "still.yuv").write_bytes(np.stack([still, still, np.full_like(still, 128)]).tobytes())
    commands = tmp_path / "move.cmd"
    commands.write_text(ken_burns.sendcmd_script(plan, Fraction(30), "crop@kb0"), encoding="utf-8")
    steps = [*ken_burns.pad_steps(plan), f"loop=loop={frames}:size=1:start=0", "setpts=N/FRAME_RATE/TB", "fps=30"]
    steps += ken_burns.graph_steps(plan, filter_value(str(commands)), "kb0")
    steps += ["format=yuv420p", f"trim=end_frame={frames}"]
    (tmp_path / "graph.txt").write_text("[0:v]" + ",".join(steps) + "[v]", encoding="utf-8")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv444p", "-s", f"{sw}x{sh}", "-framerate", "30",
         "-i", str(tmp_path / "still.yuv"), "-filter_complex_script", str(tmp_path / "graph.txt"), "-map", "[v]",
         "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    w, h = size
    planes = np.frombuffer(raw, np.uint8).reshape(-1, w * h * 3 // 2).astype(np.float32)
    assert len(planes) == frames
    misses, chroma_shifts = [], []
    for i in range(frames):
        luma, blue = planes[i, : w * h].reshape(h, w), planes[i, w * h : w * h * 5 // 4].reshape(h // 2, w // 2)
        left, _, zoom = ken_burns.window(move, i, frames, 0.2, plan.still_size)
        span_x = sw / zoom
        span_y = span_x * h / w
        sx, sy = span_x / w, span_y / h
        matrix = np.array([[sx, 0, left + sx / 2 - 0.5], [0, sy, (sh - span_y) / 2 + sy / 2 - 0.5]], np.float32)
        exact = cv2.warpAffine(still.astype(np.float32), matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        misses.append(np.abs(luma - exact)[4:-4, 4:-4].mean())
        half = cv2.resize(luma, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        chroma_shifts.append(cv2.phaseCorrelate(half, blue)[0])
    # measured ~0.4 grey levels (rounding to 8 bits on the way); a frame a step off measures ~6
    assert max(misses) < 1.0, misses
    # the chroma's offset from the luma is the same in every frame (a crop at an odd offset in 4:2:0 would move
    # the chroma by half a chroma sample in those frames only)
    assert np.std(np.array(chroma_shifts), axis=0).max() < 0.05, chroma_shifts


def _frame_digests(raw: bytes, size: tuple[int, int]) -> list[str]:
    n = size[0] * size[1] * 3 // 2
    return [hashlib.md5(raw[i : i + n]).hexdigest() for i in range(0, len(raw), n)]


def _raw_still(path: Path, size: tuple[int, int]) -> list[str]:
    """A blurred-noise 4:4:4 still, raw, and the input options that read it."""
    sw, sh = size
    still = cv2.GaussianBlur(np.random.default_rng(7).integers(16, 235, (sh, sw), dtype=np.uint8), (0, 0), 2.5)
    path.write_bytes(np.stack([still, still[::-1], still[:, ::-1]]).tobytes())
    return ["-f", "rawvideo", "-pix_fmt", "yuv444p", "-s", f"{sw}x{sh}", "-framerate", "25", "-i", str(path)]


def _planned_frame(plan: ken_burns.KenBurnsPlan, i: int, still: list[str]) -> str:
    """Frame ``i`` of the move drawn with its planned window as constants (no sendcmd, nothing per frame)."""
    (x, y, w, h), (d, e), (ox, oy) = plan.crops[i], plan.scaled[i], plan.offsets[i]
    width, height = plan.frame_size
    chain = [*ken_burns.pad_steps(plan), f"crop={w}:{h}:{x}:{y}:exact=1", f"scale={d}:{e}:flags=bilinear",
             f"crop={width}:{height}:{ox}:{oy}:exact=1", "format=yuv420p"]  # fmt: skip
    argv = ["ffmpeg", "-v", "error", *still, "-vf", ",".join(chain), "-frames:v", "1", "-f", "rawvideo", "-"]
    return _frame_digests(subprocess.run(argv, capture_output=True, check=True).stdout, plan.frame_size)[0]


@pytest.mark.slow
def test_every_frame_of_a_move_has_its_own_window_in_a_busy_render_under_load(tmp_path: Path) -> None:
    """``sendcmd`` sets the first crop as a frame passes it, not on the frame. Inside a render with another input,
    x264 on threads and three outputs, on a machine kept busy by CPU burners, every frame of a zoom (whose crop
    changes size every frame) still shows its own planned window, bit for bit, run after run."""
    size, frames = (320, 180), 40
    plan = ken_burns.plan_move("in", frames, 0.12, size)
    assert len({c[2:] for c in plan.crops}) > frames // 2  # the crop's size really changes from frame to frame
    still = _raw_still(tmp_path / "still.yuv", plan.still_size)
    planned = [_planned_frame(plan, i, still) for i in range(frames)]
    assert len(set(planned)) == frames  # every window is a different picture: a neighbour's cannot pass for it
    commands = tmp_path / "move.cmd"
    commands.write_text(ken_burns.sendcmd_script(plan, Fraction(25), "crop@kb0"), encoding="utf-8")
    move = [*ken_burns.pad_steps(plan), f"loop=loop={frames}:size=1:start=0", "setpts=N/FRAME_RATE/TB", "fps=25"]
    move += ken_burns.graph_steps(plan, filter_value(str(commands)), "kb0")
    graph_text = (
        f"[0:v]{','.join(move)},trim=end_frame={frames},split=2[move][out];[1:v][move]hstack=inputs=2,split=2[a][b];"
        "[b]select='not(mod(n\\,7))',format=bgr24[poster]"
    )
    argv = ["ffmpeg", "-v", "error", "-y", *still, "-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={frames / 25}",
            "-filter_complex", graph_text,
            "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-threads", "4", str(tmp_path / "busy.mp4"),
            "-map", "[poster]", "-fps_mode", "passthrough", "-c:v", "bmp", "-f", "image2", str(tmp_path / "p%02d.bmp"),
            "-map", "[out]", "-f", "rawvideo", "-"]  # fmt: skip
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        for _ in range(3):
            got = _frame_digests(subprocess.run(argv, capture_output=True, check=True).stdout, size)
            assert got == planned, [i for i, (a, b) in enumerate(zip(got, planned, strict=False)) if a != b]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.slow
def test_zoom_is_smooth_where_zoompan_jitters(tmp_path: Path) -> None:
    out = render_texture_move(tmp_path, "in", "推近")
    ours = _corner_spread_steps(gray_frames(out, 320, 180).astype(np.float32))
    # opposite corner patches (224 px apart) drift apart by 224 * (z[n+1]/z[n] - 1): ~0.55 px per frame mid-move
    assert np.median(ours[:, 0]) == pytest.approx(0.55, abs=0.15)
    jitter = tmp_path / "zoompan.mp4"
    ffmpeg_stderr("-v", "error", "-i", str(tmp_path / "texture.png"), "-vf",
                  "zoompan=z='1+0.2*on/74':x='(iw-iw/zoom)/2':y='(ih-ih/zoom)/2':d=75:s=320x180:fps=25",
                  "-c:v", "libx264", "-crf", "10", "-preset", "ultrafast", str(jitter))  # fmt: skip
    snapped = _corner_spread_steps(gray_frames(jitter, 320, 180).astype(np.float32))
    # the step from frame to frame around its smooth trend: ~0.13 px here (perspective measures ~0.12, the noise
    # of the measure itself), ~0.4 px with zoompan
    assert _roughness(ours) < 0.2
    assert _roughness(snapped) > 2 * _roughness(ours)


def _corner_spread_steps(frames: np.ndarray) -> np.ndarray:
    """Per pair of frames, how much the bottom-right patch moved away from the top-left one (x, y)."""
    pw, ph = 96, 54
    window = cv2.createHanningWindow((pw, ph), cv2.CV_32F)
    steps = []
    for a, b in itertools.pairwise(frames):
        (lx, ly), _ = cv2.phaseCorrelate(a[:ph, :pw], b[:ph, :pw], window)
        (rx, ry), _ = cv2.phaseCorrelate(a[-ph:, -pw:], b[-ph:, -pw:], window)
        steps.append((rx - lx, ry - ly))
    return np.array(steps)[2:-2]


def _roughness(steps: np.ndarray) -> float:
    n = np.arange(len(steps))
    return float(max(np.std(steps[:, k] - np.polyval(np.polyfit(n, steps[:, k], 2), n)) for k in range(2)))
