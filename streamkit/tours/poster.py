"""Choose the poster frame with OpenCV: the sharpest frame that is not black and not a title card.

Candidates are the middle of every photo and clip shot (away from transitions); cards are never candidates.
Sharpness is the variance of the Laplacian; frames darker than ``MIN_BRIGHTNESS`` are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from streamkit.errors import MediaError
from streamkit.tours.timeline import Timeline

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


def candidate_times(timeline: Timeline) -> list[int]:
    """The middle of every clip and photo shot, in milliseconds."""
    return [
        timeline.frame_ms(shot.start_frame + shot.frames // 2) for shot in timeline.shots if shot.kind != "card"
    ] or [timeline.duration_ms // 2]


def score(frame: np.ndarray) -> tuple[float, float]:
    """(sharpness, mean brightness) of a BGR frame."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()), float(grey.mean())


def choose_poster(video: Path, timeline: Timeline) -> bytes:
    """The JPEG bytes of the best candidate frame of ``video``."""
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise MediaError(video, "OpenCV cannot open the rendered video to choose a poster")
    best: tuple[float, np.ndarray] | None = None
    fallback: np.ndarray | None = None
    try:
        for time_ms in candidate_times(timeline):
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
