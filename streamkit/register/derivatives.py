"""Resized copies of a picture for the public pages: the original upload is never what a visitor downloads.

Elderly relatives read these pages on phones over slow connections, so a page offers a few widths in ``srcset`` and
the browser takes the one its screen needs; a copy is never wider than the picture itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from streamkit.media.probe import open_image
from streamkit.media.publish import atomic_output

WIDTHS = (320, 640, 1280)
QUALITY = 82


@dataclass(frozen=True)
class Derivative:
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"w{self.width}.jpg"


def parse_sizes(text: str) -> list[Derivative]:
    """``320x240,640x480`` as derivatives, narrowest first."""
    found = []
    for part in filter(None, text.split(",")):
        width, _, height = part.partition("x")
        found.append(Derivative(int(width), int(height)))
    return sorted(found, key=lambda d: d.width)


def format_sizes(derivatives: list[Derivative]) -> str:
    return ",".join(f"{d.width}x{d.height}" for d in derivatives)


def make_derivatives(source: Path, folder: Path, widths: tuple[int, ...] = WIDTHS) -> list[Derivative]:
    """JPEG copies of ``source`` at each width narrower than it (and one at its own width when it is narrower than
    the widest), turned upright as EXIF says; MediaError when the picture does not open within Pillow's limits."""
    made: list[Derivative] = []
    with open_image(source) as opened:
        opened.draft("RGB", (max(widths), max(widths)))  # JPEG: decode at a reduced size when that is enough
        upright = ImageOps.exif_transpose(opened).convert("RGB")
    full_width, full_height = upright.size
    targets = sorted({min(w, full_width) for w in widths})
    for width in targets:
        height = max(1, round(full_height * width / full_width))
        picture = upright if width == full_width else upright.resize((width, height), Image.Resampling.LANCZOS)
        derivative = Derivative(width, height)
        with atomic_output(folder / derivative.name) as partial:
            picture.save(partial, "JPEG", quality=QUALITY, optimize=True, progressive=True)
        made.append(derivative)
    return made


def tomb_photo_folder(photo_id: int, path: str, dhash: str) -> str:
    """The media-folder path of a tomb photo's copies: named from where the original lies (which the public never
    sees), so the copies of a hidden record's photo cannot be guessed, and a re-checked photo gets new copies."""
    digest = hashlib.sha256(f"{photo_id}\0{path}\0{dhash}".encode()).hexdigest()[:20]
    return f"register/tombs/{photo_id}-{digest}"
