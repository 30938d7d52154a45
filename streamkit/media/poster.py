"""Choose a poster frame with OpenCV: the sharpest of some candidate frames that is neither black nor blown out.

Sharpness is the variance of the Laplacian; frames darker than ``MIN_BRIGHTNESS`` (or brighter than
``MAX_BRIGHTNESS``) are skipped unless nothing else can be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from streamkit.errors import MediaError

MIN_BRIGHTNESS = 40.0
MAX_BRIGHTNESS = 235.0


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

    def frames() -> Iterator[np.ndarray]:
        for time_ms in times_ms:
            capture.set(cv2.CAP_PROP_POS_MSEC, time_ms)
            ok, frame = capture.read()
            if ok:
                yield frame

    try:
        return best_jpeg(frames(), video)
    finally:
        capture.release()


def best_image_jpeg(images: Sequence[Path], source: Path) -> bytes:
    """The JPEG bytes of the sharpest usable picture among image files (frames saved while rendering)."""
    return best_jpeg((frame for frame in (cv2.imread(str(p)) for p in images) if frame is not None), source)


def best_jpeg(frames: Iterable[np.ndarray], source: Path) -> bytes:
    """The sharpest usable frame as JPEG bytes; the first frame if none is usable. ``source`` names errors."""
    best: tuple[float, np.ndarray] | None = None
    fallback: np.ndarray | None = None
    for frame in frames:
        sharpness, brightness = score(frame)
        fallback = frame if fallback is None else fallback
        if MIN_BRIGHTNESS <= brightness <= MAX_BRIGHTNESS and (best is None or sharpness > best[0]):
            best = (sharpness, frame)
    chosen = best[1] if best is not None else fallback
    if chosen is None:
        raise MediaError(source, "no frame could be read to make a poster")
    ok, encoded = cv2.imencode(".jpg", chosen, [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        raise MediaError(source, "could not encode the poster as JPEG")
    return bytes(encoded.tobytes())
