"""Still pictures the graph needs, prepared once with Pillow into cached PNGs: photos, cards, lower-thirds.
Photos and cards also reach ffmpeg's graph as cached raw YUV (``raw_still``), which it reads without decoding.

Photos are turned by their EXIF orientation and fitted into the frame without distortion (blurred fill or black
bars). Cards and lower-thirds come from ``streamkit.overlays`` (Pillow with a checked CJK font; ffmpeg's drawtext
has no glyph fallback), so tours and live ceremonies share one look.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageFilter, ImageOps
from PIL.PngImagePlugin import PngInfo

from streamkit.cache import mark_used
from streamkit.media.probe import open_image
from streamkit.media.publish import atomic_output
from streamkit.overlays import OverlayStyle, render_lower_third, render_title_slate
from streamkit.tours.spec import Card

Size = tuple[int, int]
CACHE_VERSION = "2"
STILL_PIXEL_FORMAT = "yuv444p"  # of the raw stills ffmpeg's graph reads (``raw_still``)


def _cached(cache_dir: Path, key: str) -> tuple[Path, bool]:
    """Where a prepared still lives in the cache, and whether it is already there."""
    target = cache_dir / f"{hashlib.sha256((CACHE_VERSION + key).encode()).hexdigest()[:20]}.png"
    if target.exists():
        mark_used(target)
        return target, True
    return target, False


def _save(img: Image.Image, target: Path, info: PngInfo | None = None) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    img.save(buffer, "PNG", compress_level=1, pnginfo=info)
    with atomic_output(target) as partial:
        partial.write_bytes(buffer.getvalue())
    return target


def open_photo(path: Path) -> Image.Image:
    """Open a photo upright (EXIF orientation applied) in RGB; unreadable files raise MediaError."""
    with open_image(path) as img:
        upright = ImageOps.exif_transpose(img)
        return upright.convert("RGB")


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


def _hex(colour: str) -> tuple[int, int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255


def draw_card(lines: Sequence[str], size: Size, background: str, image: Image.Image | None = None) -> Image.Image:
    """A card: the overlays title slate over the card's colour, or over the card's image darkened."""
    base = OverlayStyle()
    fill = (0, 0, 0, 0) if image is not None else _hex(background)
    style = base.model_copy(update={"colours": base.colours.model_copy(update={"background": fill})})
    slate = render_title_slate(list(lines), size=size, style=style)
    if image is None:
        return slate.convert("RGB")
    canvas = Image.eval(fit_photo(image, size, "blur"), lambda v: v * 45 // 100).convert("RGBA")
    return Image.alpha_composite(canvas, slate).convert("RGB")


def prepare_card(card: Card, size: Size, cache_dir: Path, image_path: Path | None) -> Path:
    image_key = hashlib.sha256(image_path.read_bytes()).hexdigest() if image_path and image_path.exists() else ""
    target, done = _cached(cache_dir, f"card:{card.model_dump_json()}:{size}:{image_key}")
    if done:
        return target
    image = open_photo(image_path) if image_path is not None else None
    return _save(draw_card(card.lines, size, card.background, image), target)


# RGB -> Y'CbCr, BT.601 in limited range: what swscale makes of an RGB picture by default
_BT601 = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255
_BT601_OFFSET = np.array([16.0, 128.0, 128.0])


def raw_still(png: Path) -> Path:
    """A prepared still as raw planar YUV 4:4:4 at its own size (``STILL_PIXEL_FORMAT``), cached beside its PNG.

    Every chunk of a tour opens the stills it shows. A PNG would be inflated and converted to YUV on one core
    before the chunk's first frame, while x264 waits; the raw file is only read. The price is disk: three bytes a
    pixel, several times the PNG.
    """
    target = png.with_suffix("." + STILL_PIXEL_FORMAT)
    if target.exists():
        mark_used(target)
        return target
    with Image.open(png) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.float32)
    yuv = np.rint(rgb @ _BT601.T.astype(np.float32) + _BT601_OFFSET.astype(np.float32))
    planes = np.clip(yuv, 0, 255).astype(np.uint8).transpose(2, 0, 1)  # Y, then Cb, then Cr
    with atomic_output(target) as partial:
        partial.write_bytes(planes.tobytes())
    return target


POSITION_KEY = "streamkit-position"  # where a cropped lower-third sits in the frame, kept in its PNG


def prepare_lower_third(name: str, detail: str, size: Size, cache_dir: Path) -> tuple[Path, tuple[int, int]]:
    """The overlays lower-third as a cached PNG cropped to its visible pixels, and where its top-left corner
    sits in the frame (even coordinates and sizes, so the 4:2:0 overlay keeps its chroma on its luma)."""
    target, done = _cached(cache_dir, f"lower-third-cropped:{name}:{detail}:{size}")
    if done:
        with Image.open(target) as img:  # the header only: the pixels are not decoded
            x, y = (int(v) for v in str(img.info[POSITION_KEY]).split(","))
        return target, (x, y)
    full = render_lower_third(name, detail or None, size=size)
    box = full.getchannel("A").getbbox() or (0, 0, 2, 2)
    left, top = box[0] // 2 * 2, box[1] // 2 * 2
    right, bottom = min(-(-box[2] // 2) * 2, size[0]), min(-(-box[3] // 2) * 2, size[1])
    info = PngInfo()
    info.add_text(POSITION_KEY, f"{left},{top}")
    return _save(full.crop((left, top, right, bottom)), target, info), (left, top)
