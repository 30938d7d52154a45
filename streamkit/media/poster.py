"""Choose a poster frame with OpenCV: the sharpest of some candidate frames that is neither black nor blown out.

Sharpness is the variance of the Laplacian; frames darker than ``MIN_BRIGHTNESS`` (or brighter than
``MAX_BRIGHTNESS``) are skipped unless nothing else can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from streamkit.errors import MediaError

MIN_BRIGHTNESS = 40.0
MAX_BRIGHTNESS = 235.0


@dataclass(frozen=True)
class PosterCandidate:
    time_ms: int
    sharpness: float
    brightness: float

    @property
    def usable(self) -> bool:
        return MIN_BRIGHTNESS <= self.brightness <= MAX_BRIGHTNESS


def score(frame: np.ndarray) -> tuple[float, float]:
    """(sharpness, mean brightness) of a BGR frame."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()), float(grey.mean())


def spread_times(duration_ms: int, count: int = 9) -> list[int]:
    """``count`` times spread over a video without a plan (a recording), away from its first and last tenth."""
    return [duration_ms * (i + 1) // (count + 1) for i in range(count)] or [0]


def best_frame_jpeg(video: Path, times_ms: list[int]) -> bytes:
    """The JPEG bytes of the sharpest usable frame among ``times_ms`` of ``video``."""
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise MediaError(video, "OpenCV cannot open the video to choose a poster")
    best: tuple[float, np.ndarray] | None = None
    fallback: np.ndarray | None = None
    try:
        for time_ms in times_ms:
            capture.set(cv2.CAP_PROP_POS_MSEC, time_ms)
            ok, frame = capture.read()
            if not ok:
                continue
            candidate = PosterCandidate(time_ms, *score(frame))
            fallback = frame if fallback is None else fallback
            if candidate.usable and (best is None or candidate.sharpness > best[0]):
                best = (candidate.sharpness, frame)
    finally:
        capture.release()
    chosen = best[1] if best is not None else fallback
    if chosen is None:
        raise MediaError(video, "no frame could be read to make a poster")
    ok, encoded = cv2.imencode(".jpg", chosen, [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        raise MediaError(video, "could not encode the poster as JPEG")
    return bytes(encoded.tobytes())
