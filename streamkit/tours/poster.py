"""The poster of a rendered tour: the sharpest frame that is not black and not a title card.

Candidates are the middle of every photo and clip shot (away from transitions); cards are never candidates. The
ffmpeg engine saves the candidate frames while it renders them (``candidate_frames``): seeking them back in the
finished MP4 would decode from the previous keyframe for each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from streamkit.media.poster import best_frame_jpeg, best_image_jpeg
from streamkit.tours.timeline import Timeline


def candidate_frames(timeline: Timeline) -> list[int]:
    """The middle frame of every clip and photo shot (the middle of the tour if it has none)."""
    middles = [shot.start_frame + shot.frames // 2 for shot in timeline.shots if shot.kind != "card"]
    return middles or [timeline.total_frames // 2]


def choose_poster(video: Path, timeline: Timeline, saved: Sequence[Path] = ()) -> bytes:
    """The JPEG bytes of the best candidate frame: from the frames saved while rendering, else from ``video``."""
    if saved:
        return best_image_jpeg(saved, video)
    return best_frame_jpeg(video, [timeline.frame_ms(frame) for frame in candidate_frames(timeline)])
