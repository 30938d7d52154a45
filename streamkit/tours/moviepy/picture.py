"""The tour's picture as a moviepy composition, built from the same ``Timeline`` the ffmpeg graph uses.

Each shot becomes a moviepy clip of exactly ``shot.frames`` frames at the output size: a ``VideoFileClip`` scaled
by its reader and letter/pillar-boxed, a prepared photo moved by a sub-pixel Ken Burns (``cv2.warpAffine`` with
the same window as the ffmpeg engine's ``perspective`` corners), or a prepared card. ``TourPicture`` picks the
shot(s) of each output frame and blends crossfades with xfade's per-frame progress, so both engines agree frame for
frame.
Lower-thirds, the logo and burned captions are ``ImageClip`` layers of a ``CompositeVideoClip``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from streamkit.fonts import FontMatch
from streamkit.media.moviepy_binding import load_moviepy
from streamkit.media.probe import MediaInfo
from streamkit.tours import captions as caption_text
from streamkit.tours.ffmpeg.ken_burns import window
from streamkit.tours.spec import CaptionStyle
from streamkit.tours.timeline import CaptionCue, Shot, Timeline

Frame = np.ndarray[Any, np.dtype[np.uint8]]
FrameSource = Callable[[int], Frame]  # local frame index -> RGB frame at the output size


def ken_burns_frame(still: Frame, move: str, index: int, frames: int, amount: float) -> Frame:
    """One frame of the move: the window mapped onto the whole frame with bilinear (sub-pixel) sampling."""
    height, width = still.shape[:2]
    left, top, z = window(move, index, frames, amount, (width, height))  # the graph's move, in numbers
    matrix = np.array([[1 / z, 0, left], [0, 1 / z, top]], dtype=np.float64)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return np.asarray(cv2.warpAffine(still, matrix, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE))


def fitted_size(display: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int]:
    """The largest size of ``display``'s aspect inside ``frame`` (the graph's ``force_original_aspect_ratio``)."""
    scale = min(frame[0] / display[0], frame[1] / display[1])
    return max(1, min(frame[0], int(display[0] * scale))), max(1, min(frame[1], int(display[1] * scale)))


def _rgb(path: Path) -> Frame:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


@dataclass
class ShotSources:
    """Opens every shot's source once; ``close()`` stops the readers' ffmpeg processes."""

    timeline: Timeline
    stills: dict[int, Path]
    media: dict[Path, MediaInfo]
    ken_burns: float

    def __post_init__(self) -> None:
        self.opened: list[Any] = []

    def source(self, index: int) -> FrameSource:
        shot = self.timeline.shots[index]
        size = (self.timeline.width, self.timeline.height)
        if shot.kind == "clip":
            return self._clip(shot, size)
        still = _rgb(self.stills[index])
        if still.shape[1] != size[0] or still.shape[0] != size[1]:
            still = np.asarray(cv2.resize(still, size, interpolation=cv2.INTER_AREA))
        if shot.kind == "photo" and shot.move != "none":
            return lambda i: ken_burns_frame(still, shot.move, i, shot.frames, self.ken_burns)
        return lambda i: still

    def _clip(self, shot: Shot, size: tuple[int, int]) -> FrameSource:
        assert shot.source is not None
        mp = load_moviepy()
        info = self.media.get(shot.source)
        display = info.video[0].display_size if info is not None and info.video else size
        fw, fh = fitted_size(display, size)
        reader = mp.VideoFileClip(str(shot.source), audio=False, target_resolution=(fw, fh))
        self.opened.append(reader)
        # the last frame that surely decodes: moviepy warns (and returns a stale frame) past the stream's end
        last = max(reader.duration - 1.5 / max(reader.fps, 1), 0)
        start = shot.trim_start_ms / 1000
        # where ``pad`` puts it: centred, rounded down to even for the 4:2:0 chroma grid
        x, y = (size[0] - fw) // 2 // 2 * 2, (size[1] - fh) // 2 // 2 * 2
        canvas = np.zeros((size[1], size[0], 3), np.uint8)

        def frame(i: int) -> Frame:
            t = min(start + i / float(self.timeline.fps), last)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short read at the very end is expected and handled by `last`
                picture = reader.get_frame(t)
            out = canvas.copy()
            out[y : y + fh, x : x + fw] = picture[:fh, :fw, :3]
            return out

        return frame

    def close(self) -> None:
        for reader in self.opened:
            reader.close()
        self.opened.clear()


def blend(a: Frame, b: Frame, progress: float, transition: str) -> Frame:
    """Frame of a transition ``progress`` (0: all ``a``, 1: all ``b``) of the way through."""
    if transition in ("fadeblack", "fadewhite"):
        ground = np.full_like(a, 0 if transition == "fadeblack" else 255)
        a2, b2 = (a, ground) if progress < 0.5 else (ground, b)
        return blend(a2, b2, progress * 2 if progress < 0.5 else progress * 2 - 1, "fade")
    if transition.startswith("wipe") and transition[4:] in ("left", "right", "up", "down"):
        out = a.copy()
        h, w = a.shape[:2]
        side = transition[4:]
        n = round((w if side in ("left", "right") else h) * progress)
        if side == "left":
            out[:, w - n :] = b[:, w - n :]
        elif side == "right":
            out[:, :n] = b[:, :n]
        elif side == "up":
            out[h - n :] = b[h - n :]
        else:
            out[:n] = b[:n]
        return out
    # fade, dissolve and every other xfade name: a linear crossfade (see docs/decisions-moviepy.md)
    mixed = a.astype(np.float32) * (1 - progress) + b.astype(np.float32) * progress
    return np.asarray(np.clip(mixed + 0.5, 0, 255).astype(np.uint8))


class TourPicture:
    """The shots and their transitions as one frame function over output frame numbers."""

    def __init__(self, timeline: Timeline, sources: ShotSources, first_frame: int = 0) -> None:
        self.timeline = timeline
        self.sources = [sources.source(i) for i in range(len(timeline.shots))]
        self.first_frame = first_frame

    def frame(self, n: int) -> Frame:
        shots = self.timeline.shots
        n = min(max(n + self.first_frame, 0), self.timeline.total_frames - 1)
        active = [i for i, s in enumerate(shots) if s.start_frame <= n < s.end_frame]
        first = active[0]
        picture = self.sources[first](n - shots[first].start_frame)
        if len(active) > 1:
            second = active[1]
            into = shots[second]
            k = n - into.start_frame
            # xfade's progress at the k-th overlapping frame: all of the outgoing shot at k=0
            picture = blend(picture, self.sources[second](k), k / into.overlap_in, into.transition_in)
        return picture

    def clip(self, frames: int) -> Any:
        """A moviepy ``VideoClip`` of ``frames`` frames (duration padded half a frame so moviepy writes them all)."""
        mp = load_moviepy()
        fps = float(self.timeline.fps)
        clip = mp.VideoClip(frame_function=lambda t: self.frame(round(t * fps)), duration=(frames + 0.5) / fps)
        return clip.with_fps(fps)


def caption_font(style: CaptionStyle, font: FontMatch, height: int) -> ImageFont.FreeTypeFont:
    """The caption font at the size libass draws it: ASS ``Fontsize`` is the line height (ascent + descent)."""
    size = style.size or max(10, height // 16)
    probe = ImageFont.truetype(str(font.file), 100, index=font.index)
    ascent, descent = probe.getmetrics()
    return ImageFont.truetype(str(font.file), max(4, round(size * 100 / (ascent + descent))), index=font.index)


def caption_image(text: str, style: CaptionStyle, font: FontMatch, size: tuple[int, int]) -> tuple[Frame, int]:
    """A caption as an RGBA strip the width of the frame, and the ``y`` where it goes (the ASS style's layout)."""
    width, height = size
    face = caption_font(style, font, height)
    wrapped = caption_text.wrap(text, style.max_chars)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    outline = round(style.outline)
    box = probe.multiline_textbbox((0, 0), wrapped, font=face, align="center", stroke_width=outline, spacing=2)
    strip_h = math.ceil(box[3] - box[1]) + 2 * outline + 4
    strip = Image.new("RGBA", (width, strip_h), (0, 0, 0, 0))
    ImageDraw.Draw(strip).multiline_text(
        (width / 2, strip_h / 2), wrapped, font=face, fill=(255, 255, 255, 255), anchor="mm", align="center",
        stroke_width=outline, stroke_fill=(0, 0, 0, 255), spacing=2,
    )  # fmt: skip
    margin = max(4, height // 18)
    y = {"bottom": height - margin - strip_h, "top": margin, "middle": (height - strip_h) // 2}[style.position]
    return np.asarray(strip, dtype=np.uint8), int(y)


def rgba_layer(
    rgba: Frame, start_ms: int, end_ms: int, position: tuple[int, int] = (0, 0), opacity: float = 1.0
) -> Any:
    """An RGBA picture shown between two times, as an ``ImageClip`` whose mask is its alpha channel."""
    mp = load_moviepy()
    colour = mp.ImageClip(np.ascontiguousarray(rgba[:, :, :3]))
    mask = mp.ImageClip(rgba[:, :, 3].astype(np.float64) / 255.0 * opacity, is_mask=True)
    layer = colour.with_mask(mask).with_position(position).with_start(start_ms / 1000)
    return layer.with_duration((end_ms - start_ms) / 1000)


def caption_layers(
    cues: Sequence[CaptionCue], style: CaptionStyle, font: FontMatch, size: tuple[int, int]
) -> list[Any]:
    layers = []
    for cue in cues:
        strip, y = caption_image(cue.text, style, font, size)
        layers.append(rgba_layer(strip, cue.start_ms, cue.end_ms, (0, y)))
    return layers
