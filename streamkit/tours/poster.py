"""The poster of a rendered tour: the sharpest frame that is not black and not a title card.

Candidates are the middle of every photo and clip shot (away from transitions); cards are never candidates.
"""

from __future__ import annotations

from pathlib import Path

from streamkit.media.poster import best_frame_jpeg
from streamkit.tours.timeline import Timeline


def candidate_times(timeline: Timeline) -> list[int]:
    """The middle of every clip and photo shot, in milliseconds."""
    return [
        timeline.frame_ms(shot.start_frame + shot.frames // 2) for shot in timeline.shots if shot.kind != "card"
    ] or [timeline.duration_ms // 2]


def choose_poster(video: Path, timeline: Timeline) -> bytes:
    """The JPEG bytes of the best candidate frame of ``video``."""
    return best_frame_jpeg(video, candidate_times(timeline))
