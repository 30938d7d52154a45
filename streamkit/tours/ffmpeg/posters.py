"""The poster's candidate frames, saved by the render that makes them: a branch of the picture's graph. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PosterFrames:
    """Frames of a command's picture to save as images while rendering (the poster's candidates), by index from
    the command's first frame, and the ``image2`` pattern (``%02d``) they are written to, in order."""

    frames: tuple[int, ...]
    pattern: Path

    @property
    def selected(self) -> list[int]:
        """Every frame the branch writes: the candidates and frame 0 (see ``poster_branch``)."""
        return sorted({0, *self.frames})

    def saved(self) -> list[Path]:
        """The files holding the candidates (``image2`` numbers the written frames from 1)."""
        return [Path(str(self.pattern) % (k + 1)) for k, f in enumerate(self.selected) if f in self.frames]


def poster_branch(parts: list[str], poster: PosterFrames | None) -> list[str]:
    """Split the finished picture (``[vout]``, the last part) to save the poster's candidate frames as BMP images;
    returns the extra output's arguments. ``select`` passes only those frames, so the branch costs next to nothing.

    ffmpeg feeds first the output that lags behind, and pulling one frame from a sparse branch makes the graph run
    (and queue the picture's frames in memory) up to the next candidate. So the branch's timestamps are moved a day
    ahead, and it writes frame 0 as well, so it never lags (``PosterFrames.saved`` skips it).
    """
    if poster is None or not poster.frames:
        return []
    parts[-1] = parts[-1].removesuffix("[vout]") + ",split=2[vout][posterin]"
    picks = _any_frame(poster.selected)
    parts.append(f"[posterin]setpts=PTS+86400/TB,select='{picks}',format=bgr24[poster]")
    return ["-map", "[poster]", "-fps_mode", "passthrough", "-c:v", "bmp", "-f", "image2", str(poster.pattern)]


def _any_frame(frames: Sequence[int]) -> str:
    """An expression true at the frame numbers ``frames`` (sorted): a balanced ``if`` tree, as ffmpeg's parser
    rejects long flat chains."""
    if len(frames) == 1:
        return f"eq(n\\,{frames[0]})"
    mid = len(frames) // 2
    return f"if(lt(n\\,{frames[mid]})\\,{_any_frame(frames[:mid])}\\,{_any_frame(frames[mid:])})"
