"""Live overlay pictures (lower-third, countdown, standby slate, name roll) written as PNG for OBS image sources.

Live text goes through images because OBS's FreeType text source drops CJK glyphs when its text is updated on Linux
(obs-studio#11819). The ``overlays`` area owns the look (``streamkit.overlays``); until its renderer is merged this
module draws a plain version with Pillow. Each update is written under a new file name and the image source is pointed
at it, so OBS reloads at once instead of polling the file's modification time.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from streamkit.errors import MediaError
from streamkit.fonts import find_font

Size = tuple[int, int]


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    match = find_font()
    if match is None:
        return ImageFont.load_default(px)
    return ImageFont.truetype(str(match.file), px, index=match.index)


def render_lower_third(name: str, detail: str = "", size: Size = (640, 90)) -> Image.Image:
    """A dark band with the name large and the detail below it."""
    w, h = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, h // 8, w, h), fill=(20, 28, 40, 215))
    draw.rectangle((0, h // 8, max(4, w // 100), h), fill=(190, 150, 60, 255))
    draw.text((w // 30, h // 5), name, font=_font(max(12, h * 3 // 10)), fill=(255, 255, 255, 255))
    if detail:
        draw.text((w // 30, h * 3 // 5), detail, font=_font(max(10, h // 5)), fill=(225, 215, 190, 255))
    return image


def render_countdown(remaining_s: int, title: str = "默哀", size: Size = (200, 140)) -> Image.Image:
    """The title and the time left as M:SS."""
    w, h = size
    image = Image.new("RGBA", size, (10, 14, 20, 200))
    draw = ImageDraw.Draw(image)
    draw.text((w // 2, h // 4), title, font=_font(h // 5), fill=(230, 230, 230, 255), anchor="mm")
    clock = f"{max(0, remaining_s) // 60}:{max(0, remaining_s) % 60:02d}"
    draw.text((w // 2, h * 5 // 8), clock, font=_font(h * 2 // 5), fill=(255, 255, 255, 255), anchor="mm")
    return image


def render_standby_slate(size: Size = (640, 360), message: str = "请稍候 · 直播即将恢复") -> Image.Image:
    w, h = size
    image = Image.new("RGBA", size, (16, 22, 32, 255))
    draw = ImageDraw.Draw(image)
    draw.text((w // 2, h // 2), message, font=_font(h // 12), fill=(240, 240, 240, 255), anchor="mm")
    draw.text((w // 2, h * 2 // 3), "Please stand by", font=_font(h // 20), fill=(170, 170, 170, 255), anchor="mm")
    return image


def render_name_roll(names: Sequence[str], size: Size = (640, 360), title: str = "英名录") -> Image.Image:
    """The first names of the register in columns (the full scroll is the overlays area's job)."""
    w, h = size
    image = Image.new("RGBA", size, (24, 20, 16, 255))
    draw = ImageDraw.Draw(image)
    draw.text((w // 2, h // 10), title, font=_font(h // 10), fill=(230, 200, 120, 255), anchor="mm")
    font = _font(h // 18)
    cols, rows = 5, 8
    for i, name in enumerate(names[: cols * rows]):
        x = w * (2 * (i % cols) + 1) // (2 * cols)
        y = h // 5 + (i // cols) * (h * 3 // 4) // rows
        draw.text((x, y), name, font=font, fill=(245, 240, 230, 255), anchor="mt")
    return image


def register_names(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return [row["name"] for row in csv.DictReader(fh) if row.get("name")]
    except (OSError, KeyError, UnicodeDecodeError) as exc:
        raise MediaError(path, f"cannot read the register: {exc}") from None


def write_png(image: Image.Image, target: Path) -> Path:
    """Write atomically (OBS may read the file while we write it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.partial.png")
    image.save(partial, format="PNG")
    os.replace(partial, target)
    return target.resolve()
