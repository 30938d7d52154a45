"""Pictures for OBS image sources: writing them safely, and the static name-roll page.

Live text goes through images because OBS's FreeType text source drops CJK glyphs when its text is updated on Linux
(obs-studio#11819). Lower-thirds, the countdown and the standby slate come from ``streamkit.overlays`` (the overlays
area owns the look); the name roll there is an animated sequence, so the 英名录 scene shows one still page drawn here.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from streamkit.errors import MediaError
from streamkit.fonts import find_font
from streamkit.register import ROLL_PREFIX

Size = tuple[int, int]


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    match = find_font()
    if match is None:
        return ImageFont.load_default(px)
    return ImageFont.truetype(str(match.file), px, index=match.index)


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


def register_names(source: Path, media_root: Path, database_url: str | None = None) -> list[str]:
    """The roll's names: a register CSV (relative to ``media_root``) or ``register:CEMETERY/SECTION`` in the store."""
    if str(source).startswith(ROLL_PREFIX):
        from streamkit.overlays.register import load_roll

        return [entry.name for entry in load_roll(source, database_url)]
    path = source if source.is_absolute() else media_root / source
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
