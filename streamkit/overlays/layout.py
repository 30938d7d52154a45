"""Geometry and painting shared by every overlay: the frame's safe area, placed texts and panels, and one painter.

A graphic is planned first as data (``OverlayPlan``: boxes, texts with fonts and positions) and painted in one
place, so tests can compare what was planned with the pixels that came out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from streamkit.errors import StreamkitError
from streamkit.overlays.style import OverlayStyle, Rgba

# A line box is 1.3 font sizes tall with the baseline one size below its top: CJK ink (about 0.88 above the
# baseline and 0.12 below) and Latin descenders both stay inside.
LINE_HEIGHT = 1.3
BASELINE = 1.0

# Vertical text uses the presentation forms of punctuation (Unicode's CJK Vertical Forms and Compatibility Forms).
VERTICAL_FORMS = str.maketrans(
    {
        "，": "︐",
        "、": "︑",
        "。": "︒",
        "：": "︓",
        "；": "︔",
        "！": "︕",
        "？": "︖",
        "（": "︵",
        "）": "︶",
        "《": "︽",
        "》": "︾",
        "「": "﹁",
        "」": "﹂",
        "『": "﹃",
        "』": "﹄",
        "【": "︻",
        "】": "︼",
        "—": "︱",
        "…": "︙",
    }
)


class OverlayTextError(StreamkitError):
    """A text does not fit the graphic the style allows."""


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def contains(self, other: Box) -> bool:
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )


@dataclass(frozen=True)
class FrameGeometry:
    """A frame's size, its sizing unit (the shorter side) and the safe area graphics stay inside."""

    width: int
    height: int
    unit: int
    safe: Box

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    def px(self, share: float, *, minimum: int = 1) -> int:
        return max(minimum, round(share * self.unit))


def frame_geometry(size: tuple[int, int], style: OverlayStyle) -> FrameGeometry:
    width, height = size
    if width < 16 or height < 16:
        raise OverlayTextError(f"frame size {width}x{height} is too small for an overlay")
    margins = style.safe_area.portrait if height > width else style.safe_area.landscape
    mx, my = round(width * margins.x), round(height * margins.y)
    return FrameGeometry(width, height, min(width, height), Box(mx, my, width - mx, height - my))


@dataclass(frozen=True)
class PlacedText:
    """One line of text: ``x`` is its left edge (or, for vertical text, its centre), ``top`` its line box's top."""

    text: str
    font: ImageFont.FreeTypeFont
    colour: Rgba
    x: int
    top: int
    vertical: bool = False

    @property
    def size(self) -> int:
        return int(self.font.size)

    @property
    def box(self) -> Box:
        if self.vertical:
            half = self.size // 2 + 1
            return Box(self.x - half, self.top, self.x + half, self.top + vertical_length(self.text, self.font))
        return Box(self.x, self.top, self.x + round(self.font.getlength(self.text)), self.top + line_height(self.font))


@dataclass(frozen=True)
class Panel:
    box: Box
    colour: Rgba


@dataclass(frozen=True)
class OverlayPlan:
    """Everything a graphic draws. ``box`` bounds all of it; outside it the frame stays transparent."""

    size: tuple[int, int]
    box: Box
    background: Rgba | None = None
    panels: tuple[Panel, ...] = ()
    texts: tuple[PlacedText, ...] = field(default_factory=tuple)


def line_height(font: ImageFont.FreeTypeFont) -> int:
    return round(float(font.size) * LINE_HEIGHT)


def vertical_length(text: str, font: ImageFont.FreeTypeFont) -> int:
    """Vertical text sets one character per em, plus a little air."""
    return round(len(text) * float(font.size) * 1.08)


def text_width(text: str, font: ImageFont.FreeTypeFont) -> int:
    return round(font.getlength(text))


def fit_font_size(texts: Sequence[str], font: ImageFont.FreeTypeFont, max_width: float) -> int:
    """The largest size not above the font's own at which every text fits ``max_width``."""
    widest = max((font.getlength(t) for t in texts), default=0.0)
    if widest <= max_width:
        return int(font.size)
    return max(1, int(float(font.size) * max_width / widest))


def paint(plan: OverlayPlan) -> Image.Image:
    """Draw a plan onto a full frame: transparent (or the plan's background) outside its graphics."""
    image = Image.new("RGBA", plan.size, plan.background or (0, 0, 0, 0))
    for panel in plan.panels:
        layer = Image.new("RGBA", plan.size, (0, 0, 0, 0))
        b = panel.box
        ImageDraw.Draw(layer).rectangle((b.left, b.top, b.right - 1, b.bottom - 1), fill=panel.colour)
        image.alpha_composite(layer)
    draw = ImageDraw.Draw(image)
    for text in plan.texts:
        if text.vertical:
            _draw_vertical(draw, text)
        else:
            baseline = text.top + round(float(text.font.size) * BASELINE)
            draw.text((text.x, baseline), text.text, font=text.font, fill=text.colour, anchor="ls")
    return image


def _draw_vertical(draw: ImageDraw.ImageDraw, text: PlacedText) -> None:
    step = vertical_length("x", text.font)
    for i, char in enumerate(text.text.translate(VERTICAL_FORMS)):
        centre_y = text.top + i * step + step // 2
        draw.text((text.x, centre_y), char, font=text.font, fill=text.colour, anchor="mm")
