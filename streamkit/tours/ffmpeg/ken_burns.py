"""Ken Burns moves as whole-pixel crops and scales that land within a tenth of a pixel of the exact move. Pure.

A move shows, at frame ``i``, the window ``(left, top, width / z, height / z)`` of a still, stretched over the frame.
``perspective`` samples that window exactly but is slow (plain C, every pixel interpolated); ``zoompan`` is cheap
but rounds the window to whole pixels, so the picture jitters. Here each frame is three cheap steps instead:

1. ``crop`` a whole-pixel window ``(x, y, w, h)`` from the still (padded by ``PAD`` pixels of smeared edge);
2. ``scale`` it to a whole-pixel size ``(D, E)`` a little larger than the frame (swscale, SIMD), writing 4:2:0;
3. ``crop`` the frame out of that at an even offset ``(ox, oy)`` (even, so the chroma is cut where the luma is).

Output pixel ``j`` then samples the still at ``x + (j + ox + 1/2) * w / D - 1/2``: two integers set the scale and
two the offset, so for every frame some choice lands within a small error of the exact window. The search below
tries every even ``D`` and ``ox`` in a range and keeps the best (the scale writes 4:2:0, whose chroma is cut at
``ox / 2``: 4:4:4 there would need a second conversion of every frame, ``bench/ken_burns.py`` compares them);
``worst_error_px`` is the largest displacement, in output pixels, at the frame's edges over the whole move. The
still is prepared larger than the frame (``SOURCE_SCALES``): scale ratios near simple fractions (1, 5/4, 3/2, 2)
are the ones the integers approximate worst, and a still 1.25x the frame keeps most zooms of up to ~20 % away
from them (and shows real detail when zooming in); others try larger stills. Where no still places a move
within ``MAX_ERROR_PX`` the caller falls back to ``perspective``.

The per-frame geometry reaches ffmpeg as ``sendcmd`` commands for the first crop (its size cannot be an expression)
and as expressions of the frame number ``n`` for the scale and the second crop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

SOURCE_SCALES = (1.25, 1.35, 1.48, 1.8)  # the still of a moving photo, relative to the frame: the first that fits
PAD = 64  # smeared border around the still: room for the first crop to reach past the visible window
SEARCH = 64  # how many pixels larger than the frame the scaled picture may be (and how far the offset may go)
MAX_ERROR_PX = 0.15  # beyond this (at the frame's edge), the move is left to perspective


@dataclass(frozen=True)
class KenBurnsPlan:
    """Whole-pixel geometry of every frame of one move; coordinates are in the padded still."""

    frame_size: tuple[int, int]
    still_size: tuple[int, int]
    crops: tuple[tuple[int, int, int, int], ...]  # (x, y, w, h)
    scaled: tuple[tuple[int, int], ...]  # (D, E)
    offsets: tuple[tuple[int, int], ...]  # (ox, oy)
    worst_error_px: float

    @property
    def padded_size(self) -> tuple[int, int]:
        return self.still_size[0] + 2 * PAD, self.still_size[1] + 2 * PAD


def still_size(frame_size: tuple[int, int], scale: float) -> tuple[int, int]:
    """The size a moving photo's still is prepared at (the moves run in 4:4:4, so odd sizes are fine)."""
    return round(frame_size[0] * scale), round(frame_size[1] * scale)


def window(move: str, index: int, frames: int, amount: float, size: tuple[int, int]) -> tuple[float, float, float]:
    """(left, top, zoom) of the visible window at frame ``index`` of a still of ``size``."""
    width, height = size
    p = index / max(frames - 1, 1)
    if move == "in":
        z = 1 + amount * p
    elif move == "out":
        z = 1 + amount * (1 - p)
    else:
        z = 1 + amount
    if move == "pan-right":
        left = (width - width / z) * p
    elif move == "pan-left":
        left = (width - width / z) * (1 - p)
    else:
        left = (width - width / z) / 2
    return left, (height - height / z) / 2, z


def _solve_axis(start: np.ndarray, span: np.ndarray, source: int, out: int) -> tuple[np.ndarray, ...]:
    """Per frame, the best (crop start, crop length, scaled length, offset) along one axis, and its error.

    ``start``/``span``: the exact window per frame in padded-still pixels; ``source``: the padded still's length;
    ``out``: the frame's length. Error = the larger miss of the first and the last pixel (the miss is linear
    across the frame), in output pixels.
    """
    # D and ox even: the 4:2:0 chroma is D / 2 wide (an odd D stretches it over one pixel more than the luma)
    # and is cut at ox / 2
    scaled = np.arange(out, out + SEARCH + 1, 2)  # D
    offset = np.arange(0, SEARCH + 1, 2)  # ox
    span_ = span[:, None, None]
    crop_len = np.round(span_ * scaled[None, :, None] / out)  # w for each D
    ratio = crop_len / scaled[None, :, None]
    target = start[:, None, None] + 0.5 * span_ / out
    crop_start = np.round(target - (offset[None, None, :] + 0.5) * ratio)
    first = crop_start + (offset[None, None, :] + 0.5) * ratio - target  # signed miss at the first pixel
    error = np.maximum(np.abs(first), np.abs(first + (out - 1) * (ratio - span_ / out)))  # and at the last
    fits = (offset[None, None, :] + out <= scaled[None, :, None]) & (crop_start >= 0)
    fits &= (crop_start + crop_len <= source) & (crop_len >= 2)
    error = np.where(fits, error * out / span_, np.inf)
    frames = np.arange(len(start))
    if np.all(span == span[0]):
        # a pan: one scaled size for every frame (the one whose worst frame misses least) keeps the crop's and
        # the scale's sizes constant, so the scale keeps its swscale context (see ``graph_steps``)
        d_index = np.full(len(start), error.min(axis=2).max(axis=0).argmin())
        o_index = error[frames, d_index].argmin(axis=1)
    else:
        d_index, o_index = np.unravel_index(error.reshape(len(start), -1).argmin(axis=1), error.shape[1:])
    return (
        crop_start[frames, d_index, o_index].astype(int),
        crop_len[frames, d_index, 0].astype(int),
        scaled[d_index],
        offset[o_index],
        error[frames, d_index, o_index],
    )


@lru_cache(maxsize=256)
def plan_move(move: str, frames: int, amount: float, frame_size: tuple[int, int]) -> KenBurnsPlan:
    """The whole-pixel plan of a move over ``frames`` frames (cached: tours repeat the same moves), from the
    smallest still that places it within ``MAX_ERROR_PX``, or the best one found."""
    plans = []
    for scale in SOURCE_SCALES:
        plans.append(_plan(move, frames, amount, frame_size, still_size(frame_size, scale)))
        if plans[-1].worst_error_px <= MAX_ERROR_PX:
            return plans[-1]
    return min(plans, key=lambda plan: plan.worst_error_px)


def _plan(move: str, frames: int, amount: float, frame_size: tuple[int, int], size: tuple[int, int]) -> KenBurnsPlan:
    windows = np.array([window(move, i, frames, amount, size) for i in range(frames)])
    left, zoom = windows[:, 0], windows[:, 2]
    # the window keeps the frame's aspect exactly (the still's may differ by a rounded pixel): no stretch
    span_x = size[0] / zoom
    span_y = span_x * frame_size[1] / frame_size[0]
    top = (size[1] - span_y) / 2
    x, w, d, ox, ex = _solve_axis(left + PAD, span_x, size[0] + 2 * PAD, frame_size[0])
    y, h, e, oy, ey = _solve_axis(top + PAD, span_y, size[1] + 2 * PAD, frame_size[1])
    worst = float(max(ex.max(), ey.max()))
    return KenBurnsPlan(
        frame_size=frame_size,
        still_size=size,
        crops=tuple(zip(x.tolist(), y.tolist(), w.tolist(), h.tolist(), strict=True)),
        scaled=tuple(zip(d.tolist(), e.tolist(), strict=True)),
        offsets=tuple(zip(ox.tolist(), oy.tolist(), strict=True)),
        worst_error_px=worst if np.isfinite(worst) else float("inf"),
    )


def sendcmd_script(plan: KenBurnsPlan, fps: Fraction, target: str) -> str:
    """``sendcmd`` commands setting the first crop of every frame (sent half a frame early, so exactly once)."""
    lines = []
    for i, (x, y, w, h) in enumerate(plan.crops):
        at = max(Fraction(2 * i - 1, 2) / fps, Fraction(0))
        lines.append(f"{float(at):.6f} {target} w {w}, {target} h {h}, {target} x {x}, {target} y {y};")
    return "\n".join(lines) + "\n"


def frame_table(values: Sequence[int], lo: int = 0, hi: int | None = None) -> str:
    """An expression of the frame number ``n`` that is ``values[n]``: a balanced tree of ``if`` (ffmpeg's
    expression parser refuses deep nesting, so a flat chain of ~100 terms does not parse)."""
    hi = len(values) if hi is None else hi
    if all(v == values[lo] for v in values[lo:hi]):
        return str(values[lo])
    mid = (lo + hi) // 2
    return f"if(lt(n\\,{mid})\\,{frame_table(values, lo, mid)}\\,{frame_table(values, mid, hi)})"


def graph_steps(plan: KenBurnsPlan, commands_file: str, name: str) -> list[str]:
    """The filters that move a still (already decoded, looped and timed) through the plan.

    ``commands_file`` is already escaped for the filtergraph. The still is 4:4:4, so the first crop may start and
    end on any pixel; the scale writes 4:2:0 (the trailing ``format`` makes the crop, and so the scale's output,
    4:2:0), converting and scaling in one pass, and the second crop's offsets are even.
    """
    (width, height), (x0, y0, w0, h0) = plan.frame_size, plan.crops[0]
    # `+0*n` keeps `n` in the expressions even when the scaled size never changes: scale re-reads its input size
    # only when its expressions depend on the frame, and the first crop changes that size behind its back. It
    # also rebuilds its swscale context on every frame then (~2 ms per 720p frame), so a move whose sizes are
    # all constant (most pans) goes without
    fixed = len(set(plan.scaled)) == 1 and len({(w, h) for _, _, w, h in plan.crops}) == 1
    per_frame = "" if fixed else "+0*n"
    scaled_w = frame_table([d for d, _ in plan.scaled]) + per_frame
    scaled_h = frame_table([e for _, e in plan.scaled]) + per_frame
    off_x = frame_table([ox for ox, _ in plan.offsets])
    off_y = frame_table([oy for _, oy in plan.offsets])
    return [
        f"sendcmd=f={commands_file}",
        # starts at the first frame's window: the links are configured with that size (a scale that keeps its
        # context never looks at its input size again)
        f"crop@{name}={w0}:{h0}:{x0}:{y0}:exact=1",
        f"scale=w='{scaled_w}':h='{scaled_h}':eval=frame:flags=bilinear",
        f"crop={width}:{height}:x='{off_x}':y='{off_y}':exact=1",
        "format=yuv420p",
    ]


def pad_steps(plan: KenBurnsPlan) -> list[str]:
    """The still (4:4:4, ``plan.still_size``) padded by ``PAD`` pixels of its own smeared edge (done once, before
    ``loop``)."""
    pw, ph = plan.padded_size
    return [
        f"pad={pw}:{ph}:{PAD}:{PAD}",
        f"fillborders=left={PAD}:right={PAD}:top={PAD}:bottom={PAD}:mode=smear",
    ]
