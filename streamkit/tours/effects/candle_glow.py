"""``candle_glow``: a gentle warm flicker and a vignette, for a tomb photo at a quiet stop.

The flicker is a sum of three slow sines with phases from ``seed``: deterministic in time, so the same stop
renders the same frames (and the pre-render cache stays valid) while looking irregular like a flame.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

FLICKER_HZ = (1.3, 2.9, 4.7)


def vignette_mask(width: int, height: int, amount: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    """1.0 in the centre falling to ``1 - amount`` in the corners (smooth, elliptical)."""
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    r2 = (xs**2 + ys**2) / 2
    return np.asarray((1 - amount * r2**1.2)[:, :, None], dtype=np.float32)


def flicker(t: float, strength: float, seed: int) -> float:
    """Brightness factor at time ``t``: about 1, wandering by up to ``strength``."""
    phases = [(seed * 2.399963 * (i + 1)) % (2 * math.pi) for i in range(len(FLICKER_HZ))]
    wave = sum(
        math.sin(2 * math.pi * hz * t + ph) / (i + 1) for i, (hz, ph) in enumerate(zip(FLICKER_HZ, phases, strict=True))
    )
    return 1 + strength * wave / 1.84  # 1.84 = 1 + 1/2 + 1/3: the largest the sum can be


def candle_glow(clip: Any, strength: float = 0.06, warmth: float = 0.12, vignette: float = 0.45, seed: int = 7) -> Any:
    """Warm the picture, let its brightness flicker by ``strength``, darken the corners by ``vignette``."""
    width, height = clip.size
    mask = vignette_mask(width, height, vignette)
    tint = np.array([1 + warmth, 1 + warmth / 3, 1 - warmth], dtype=np.float32)

    def glow(get_frame: Any, t: float) -> Any:
        frame = get_frame(t).astype(np.float32)
        lit = frame * (mask * tint * flicker(t, strength, seed))
        return np.clip(lit + 0.5, 0, 255).astype(np.uint8)

    return clip.transform(glow, apply_to=[])
