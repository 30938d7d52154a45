"""Fonts for overlays: find the face through fontconfig, and refuse text the face cannot draw (no tofu).

Pillow draws a missing character as the font's ``.notdef`` box without complaint, so every text is checked against
the face's character map (read once with fontTools) before anything is drawn.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageFont

from streamkit.errors import MissingToolError, StreamkitError
from streamkit.fonts import APT_CJK_FONTS, find_font
from streamkit.overlays.style import FontSpec

log = logging.getLogger(__name__)


class MissingGlyphError(StreamkitError):
    """The chosen font has no glyph for some characters of a text."""

    def __init__(self, family: str, missing: Iterable[str], text: str) -> None:
        self.family = family
        self.missing = tuple(dict.fromkeys(missing))
        shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in self.missing[:5])
        more = f" and {len(self.missing) - 5} more" if len(self.missing) > 5 else ""
        excerpt = text if len(text) <= 40 else text[:39] + "…"
        super().__init__(
            f"font {family} has no glyph for {shown}{more} in {excerpt!r}; choose a font that covers them in the style"
        )


@dataclass(frozen=True)
class Typeface:
    """A font face on disk (a ``.ttc`` collection holds several; ``index`` picks one)."""

    family: str
    file: Path
    index: int = 0

    def font(self, px: int) -> ImageFont.FreeTypeFont:
        return _font(self.file, self.index, max(1, px))

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` this face has no glyph for (line breaks and other controls are not drawn)."""
        cmap = _cmap(self.file, self.index)
        return [c for c in dict.fromkeys(text) if ord(c) not in cmap and not _is_control(c)]

    def require(self, text: str) -> None:
        """Raise MissingGlyphError unless every character of ``text`` has a glyph."""
        missing = self.missing(text)
        if missing:
            raise MissingGlyphError(self.family, missing, text)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


@cache
def _font(file: Path, index: int, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(file), size=px, index=index)


@cache
def _cmap(file: Path, index: int) -> frozenset[int]:
    with TTFont(str(file), fontNumber=index, lazy=True) as face:
        best = face.getBestCmap() or {}
        return frozenset(best)


@cache
def resolve_typeface(spec: FontSpec) -> Typeface:
    """The installed face fontconfig picks for ``spec`` (CJK coverage required)."""
    pattern = spec.family + (":style=Bold" if spec.weight == "bold" else "")
    match = find_font(pattern)
    if match is None:
        raise MissingToolError("a CJK font", f"overlay text in {spec.family}", APT_CJK_FONTS)
    if match.family.casefold() != spec.family.casefold():
        # fontconfig substitutes silently; say so, since the look changes (the glyph check still guards coverage)
        log.warning("font %r is not installed; using %s (%s) instead", spec.family, match.family, match.file.name)
    return Typeface(match.family, match.file, match.index)
