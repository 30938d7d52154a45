"""The name roll (英名录): every name of the register scrolling up slowly, in columns, over a transparent frame.

The roll is planned once (columns, rows, total travel, frame count); any frame is then cut from that plan, so a
video, a PNG sequence and a single preview frame all agree. The content starts just below the frame and ends when
the last row has left at the top; the offset of frame ``i`` is ``round(i * speed / fps)`` pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from streamkit.overlays.layout import OverlayTextError, fit_font_size, frame_geometry, line_height, text_width
from streamkit.overlays.register import RegisterEntry
from streamkit.overlays.style import OverlayStyle, load_style
from streamkit.overlays.typeface import resolve_typeface
from streamkit.overlays.video import publish_clip_frames, render_clip_frames, render_clip_video

MAX_COLUMNS = 6


class NameRoll:
    """Plan of a scrolling roll of names: layout, speed, duration; ``frame(i)`` draws frame ``i``."""

    def __init__(
        self,
        entries: Sequence[RegisterEntry],
        *,
        size: tuple[int, int] = (1920, 1080),
        fps: int = 25,
        speed_px_per_s: float | None = None,
        style: OverlayStyle | None = None,
        title: str | None = None,
        edge_fade: bool = True,
    ) -> None:
        if not entries:
            raise OverlayTextError("a name roll needs at least one name")
        if fps <= 0:
            raise OverlayTextError(f"fps must be positive, not {fps}")
        self.entries = tuple(entries)
        self.style = style if style is not None else load_style()
        self.size = size
        self.fps = fps
        nr = self.style.name_roll
        self.geometry = geo = frame_geometry(size, self.style)
        self.speed_px_per_s = float(speed_px_per_s if speed_px_per_s is not None else nr.speed * geo.unit)
        if self.speed_px_per_s <= 0:
            raise OverlayTextError(f"scroll speed must be positive, not {self.speed_px_per_s} px/s")
        self.title = nr.title if title is None else title.strip()
        self.edge_fade = edge_fade
        names_face, text_face = resolve_typeface(self.style.fonts.names), resolve_typeface(self.style.fonts.text)
        names_face.require("".join(e.name for e in self.entries) + self.title)
        text_face.require("".join(e.years for e in self.entries))
        self.name_font = names_face.font(geo.px(nr.name_size))
        self.detail_font = text_face.font(geo.px(nr.detail_size))
        title_font = names_face.font(geo.px(nr.title_size))
        self.title_font = names_face.font(fit_font_size([self.title], title_font, geo.safe.width))
        widest = self._widest()
        if widest > geo.safe.width:  # a very long name (or a narrow portrait frame): shrink every name alike
            self.name_font = names_face.font(
                fit_font_size([e.name for e in self.entries], self.name_font, geo.safe.width)
            )
            self.detail_font = text_face.font(
                fit_font_size([e.years for e in self.entries], self.detail_font, geo.safe.width)
            )
            widest = self._widest()
        gap = geo.px(nr.column_gap)
        self.columns = max(1, min(MAX_COLUMNS, (geo.safe.width + gap) // (widest + gap)))
        self.cell_width = min(geo.safe.width // self.columns, widest + gap)
        self.row_height = line_height(self.name_font) + line_height(self.detail_font) + geo.px(nr.row_gap)
        self.title_height = 2 * line_height(self.title_font) if self.title else 0
        self.rows = math.ceil(len(self.entries) / self.columns)
        self.content_height = self.title_height + self.rows * self.row_height
        self._row_cache: dict[int, Image.Image] = {}
        self._fade: Image.Image | None = None

    def _widest(self) -> int:
        return max(max(text_width(e.name, self.name_font), text_width(e.years, self.detail_font)) for e in self.entries)

    @property
    def travel_px(self) -> int:
        """From the content's top at the frame's bottom edge to its bottom at the top edge."""
        return self.size[1] + self.content_height

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    @property
    def frame_count(self) -> int:
        return math.ceil(self.travel_px * self.fps / self.speed_px_per_s) + 1

    def offset_px(self, index: int) -> int:
        """How far the content has moved up at frame ``index``."""
        return round(index * self.speed_px_per_s / self.fps)

    def content_top(self, index: int) -> int:
        """Where the content's top edge is in frame ``index`` (frame coordinates; negative once it has passed)."""
        return self.size[1] - self.offset_px(index)

    def frame(self, index: int) -> Image.Image:
        """Frame ``index`` as a full RGBA image."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} is outside the roll (0..{self.frame_count - 1})")
        height = self.size[1]
        canvas = Image.new("RGBA", self.size, (0, 0, 0, 0))
        top = self.content_top(index)
        if self.title and -self.title_height < top < height:
            canvas.paste(self._title_image(), (0, top))
        first = max(0, (-top - self.title_height) // self.row_height)
        for row in range(first, self.rows):
            y = top + self.title_height + row * self.row_height
            if y >= height:
                break
            canvas.paste(self._row_image(row), (0, y))
        for stale in [r for r in self._row_cache if r < first]:
            del self._row_cache[stale]  # scrolling only goes up: rows above never return
        if self.edge_fade:
            alpha = ImageChops.multiply(canvas.getchannel("A"), self._fade_mask())
            canvas.putalpha(alpha)
        return canvas

    def _title_image(self) -> Image.Image:
        image = Image.new("RGBA", (self.size[0], self.title_height), (0, 0, 0, 0))
        x = (self.size[0] - text_width(self.title, self.title_font)) // 2
        ImageDraw.Draw(image).text(
            (x, round(float(self.title_font.size))),
            self.title,
            font=self.title_font,
            fill=self.style.colours.accent,
            anchor="ls",
        )
        return image

    def _row_image(self, row: int) -> Image.Image:
        cached = self._row_cache.get(row)
        if cached is not None:
            return cached
        image = Image.new("RGBA", (self.size[0], self.row_height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        entries = self.entries[row * self.columns : (row + 1) * self.columns]
        grid_left = (self.size[0] - self.cell_width * self.columns) // 2
        # a short last row is centred rather than left hanging
        left = grid_left + (self.columns - len(entries)) * self.cell_width // 2
        name_base = round(float(self.name_font.size))
        detail_base = line_height(self.name_font) + round(float(self.detail_font.size))
        colours = self.style.colours
        for i, entry in enumerate(entries):
            centre = left + i * self.cell_width + self.cell_width // 2
            draw.text((centre, name_base), entry.name, font=self.name_font, fill=colours.text, anchor="ms")
            if entry.years:
                draw.text((centre, detail_base), entry.years, font=self.detail_font, fill=colours.muted, anchor="ms")
        self._row_cache[row] = image
        return image

    def _fade_mask(self) -> Image.Image:
        """Names fade in and out across the vertical safe margins instead of being cut by the frame edge."""
        if self._fade is None:
            width, height = self.size
            ramp = max(1, self.geometry.safe.top)
            column = [min(255, round(255 * min(y, height - 1 - y) / ramp)) for y in range(height)]
            strip = Image.new("L", (1, height))
            strip.putdata(column)
            self._fade = strip.resize((width, height), Image.Resampling.NEAREST)
        return self._fade


def render_name_roll_frames(
    roll: NameRoll, folder: Path, *, alpha: bool = True, frames: range | None = None
) -> list[Path]:
    """Write the roll as ``frame-000000.png``… into ``folder``; without ``alpha`` the style's background fills in."""
    return render_clip_frames(roll, folder, alpha=alpha, frames=frames)


def publish_name_roll_frames(roll: NameRoll, folder: Path, *, alpha: bool = True) -> Path:
    """Write the whole roll as a PNG sequence into a new ``folder``, which appears only once it is complete."""
    return publish_clip_frames(roll, folder, alpha=alpha)


def render_name_roll_video(
    roll: NameRoll, out: Path, *, alpha: bool = True, dry_run: bool = False, show_progress: bool = True
) -> Path:
    """Render the roll to ``out`` (.webm VP9, .mov ProRes 4444, or .mp4 without alpha), published atomically."""
    return render_clip_video(roll, out, alpha=alpha, dry_run=dry_run, show_progress=show_progress)
