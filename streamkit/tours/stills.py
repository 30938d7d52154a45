"""Still pictures the graph needs, prepared once with Pillow into cached PNGs: photos, cards, lower-thirds.

Photos are turned by their EXIF orientation and fitted into the frame without distortion (blurred fill or black
bars). Cards and lower-thirds are drawn here so CJK text comes from a known CJK font (drawtext has no fallback).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError

from streamkit.errors import MediaError
from streamkit.fonts import find_cjk_font
from streamkit.media.publish import atomic_output
from streamkit.tours.spec import Card

Size = tuple[int, int]
CACHE_VERSION = "1"


def _cached(cache_dir: Path, key: str, draw: Image.Image | None = None) -> tuple[Path, bool]:
    digest = hashlib.sha256((CACHE_VERSION + key).encode()).hexdigest()[:20]
    return cache_dir / f"{digest}.png", (cache_dir / f"{digest}.png").exists()


def _save(img: Image.Image, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    img.save(buffer, "PNG", compress_level=1)
    with atomic_output(target) as partial:
        partial.write_bytes(buffer.getvalue())
    return target


def open_photo(path: Path) -> Image.Image:
    """Open a photo upright (EXIF orientation applied) in RGB; unreadable files raise MediaError."""
    try:
        with Image.open(path) as img:
            upright = ImageOps.exif_transpose(img)
            return upright.convert("RGB")
    except FileNotFoundError:
        raise MediaError(path, "file not found") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaError(path, f"not a readable image ({exc})") from None


def fit_photo(img: Image.Image, size: Size, fill: Literal["blur", "black"]) -> Image.Image:
    """Fit the whole photo in ``size`` keeping its aspect; the rest is a blurred cover copy or black."""
    width, height = size
    contained = ImageOps.contain(img, size, Image.Resampling.LANCZOS)
    if fill == "blur":
        background = ImageOps.fit(img, size, Image.Resampling.BILINEAR)
        background = background.filter(ImageFilter.GaussianBlur(max(4, width // 40)))
        background = Image.eval(background, lambda v: v * 6 // 10)  # darker, so the photo stands out
    else:
        background = Image.new("RGB", size, (0, 0, 0))
    background.paste(contained, ((width - contained.width) // 2, (height - contained.height) // 2))
    return background


def prepare_photo(path: Path, size: Size, fill: Literal["blur", "black"], cache_dir: Path) -> Path:
    """The photo upright and fitted to ``size`` as a cached PNG (keyed by content, size and fill)."""
    content = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else str(path)
    target, done = _cached(cache_dir, f"photo:{content}:{size}:{fill}")
    if done:
        return target
    return _save(fit_photo(open_photo(path), size, fill), target)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    match = find_cjk_font()
    if match is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(match.file), size=size, index=match.index)


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def draw_card(lines: Sequence[str], size: Size, background: str, image: Image.Image | None = None) -> Image.Image:
    """A card: centred lines of text, the first larger, over a colour or a darkened image."""
    width, height = size
    if image is not None:
        canvas = Image.eval(fit_photo(image, size, "blur"), lambda v: v * 45 // 100)
    else:
        canvas = Image.new("RGB", size, _hex(background))
    draw = ImageDraw.Draw(canvas)
    sizes = [max(12, height // 9)] + [max(10, height // 16)] * (len(lines) - 1)
    gaps = [round(s * 1.5) for s in sizes]
    y = (height - sum(gaps)) // 2
    for line, font_size, gap in zip(lines, sizes, gaps, strict=True):
        font = _font(font_size)
        draw.text((width // 2, y + gap // 2), line, font=font, fill=(240, 232, 210), anchor="mm")
        y += gap
    return canvas


def prepare_card(card: Card, size: Size, cache_dir: Path, image_path: Path | None) -> Path:
    image_key = hashlib.sha256(image_path.read_bytes()).hexdigest() if image_path and image_path.exists() else ""
    target, done = _cached(cache_dir, f"card:{card.model_dump_json()}:{size}:{image_key}")
    if done:
        return target
    image = open_photo(image_path) if image_path is not None else None
    return _save(draw_card(card.lines, size, card.background, image), target)


def draw_lower_third(name: str, detail: str, size: Size) -> Image.Image:
    """A full-frame transparent image with a name band in the lower left."""
    width, height = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    band_h = height // 6
    top = height - band_h - height // 8
    draw.rectangle([width // 24, top, width * 11 // 20, top + band_h], fill=(20, 24, 31, 200))
    draw.rectangle([width // 24, top, width // 24 + max(3, width // 160), top + band_h], fill=(201, 168, 76, 255))
    x = width // 24 + width // 40
    draw.text((x, top + band_h * 0.32), name, font=_font(max(10, band_h * 2 // 5)), fill=(255, 255, 255), anchor="lm")
    if detail:
        small = _font(max(8, band_h // 4))
        draw.text((x, top + band_h * 0.74), detail, font=small, fill=(220, 210, 180), anchor="lm")
    return img


def prepare_lower_third(name: str, detail: str, size: Size, cache_dir: Path) -> Path:
    target, done = _cached(cache_dir, f"lower-third:{name}:{detail}:{size}")
    if done:
        return target
    return _save(draw_lower_third(name, detail, size), target)
