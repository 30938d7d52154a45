"""``name_roll``: the register of the fallen (英名录) scrolling up over the stop's picture, as an outro.

The roll is the overlays library's ``NameRoll`` (columns, Chinese names with years, title, edge fades) drawn
over each frame of the stop. The stop lasts as long as the roll needs: from the first row entering at the bottom
to the last leaving at the top. The speed is rounded to a whole number of pixels per frame, so every frame
moves the same distance: no judder, however many hundreds of names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from streamkit.media.moviepy_binding import load_moviepy
from streamkit.overlays import NameRoll, load_register


def whole_pixel_speed(speed_px_per_s: float, fps: float) -> float:
    """The nearest speed that moves a whole number of pixels (at least one) per frame."""
    return max(1, round(speed_px_per_s / fps)) * fps


def name_roll(clip: Any, register: Path, speed: float = 0.0, title: str | None = None, limit: int = 0,
              dim: float = 0.6) -> Any:  # fmt: skip
    """Scroll the register's names over ``clip`` darkened by ``dim``; ``speed`` in px/s (0: the style's)."""
    entries = load_register(register)
    if limit > 0:
        entries = entries[:limit]
    fps = float(clip.fps)
    width, height = clip.size
    probe = NameRoll(entries, size=(width, height), fps=max(1, round(fps)), title=title)
    px_per_s = whole_pixel_speed(speed or probe.speed_px_per_s, fps)
    roll = NameRoll(entries, size=(width, height), fps=max(1, round(fps)), speed_px_per_s=px_per_s, title=title)
    background_end = max(clip.duration - 1 / fps, 0)

    def frame(t: float) -> Any:
        index = min(round(t * fps), roll.frame_count - 1)
        ground = clip.get_frame(min(t, background_end)).astype(np.float32) * (1 - min(max(dim, 0.0), 1.0))
        names = np.asarray(roll.frame(index), dtype=np.float32)
        alpha = names[:, :, 3:4] / 255
        return (ground * (1 - alpha) + names[:, :, :3] * alpha + 0.5).astype(np.uint8)

    mp = load_moviepy()
    return mp.VideoClip(frame_function=frame, duration=roll.frame_count / fps).with_fps(fps)
