"""Line breaking for Chinese text: break between any two Han characters, never inside a Latin word or number,
and keep punctuation where Chinese typesetting wants it (the prohibition rules of W3C's Requirements for Chinese
Text Layout, clreq): closing punctuation never starts a line and opening punctuation never ends one. Dashes and
ellipses (two characters each) stay together.
"""

from __future__ import annotations

from collections.abc import Callable

# Must not begin a line: closing brackets and quotes, stops, commas, the middle dot of transliterated names.
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉］｝”’…‥·・～%,.;:?!)]}>»·、゜ー々")
# Must not end a line: opening brackets and quotes.
NO_LINE_END = frozenset("（《「『【〔〈［｛“‘([{<«")
# Characters that come in pairs and must stay together (——, ……).
PAIRED = frozenset("—…")

Measure = Callable[[str], float]


def _is_word_char(char: str) -> bool:
    """Letters and digits of alphabetic scripts (and digits) form unbreakable words; CJK ideographs do not."""
    return (char.isascii() and (char.isalnum() or char in "-_'/@#&+")) or ("\u00c0" <= char <= "\u024f")


def clusters(text: str) -> list[str]:
    """Split text into units that may be separated by a line break (spaces become their own units)."""
    units: list[str] = []
    for char in text:
        prev = units[-1] if units else ""
        if prev and (
            (_is_word_char(char) and _is_word_char(prev[-1]))
            or (char in PAIRED and prev[-1] == char)
            or char in NO_LINE_START
            or prev[-1] in NO_LINE_END
        ):
            units[-1] = prev + char
        else:
            units.append(char)
    return units


def break_lines(text: str, measure: Measure, max_width: float) -> list[str]:
    """Wrap ``text`` into lines no wider than ``max_width`` as measured by ``measure``.

    Explicit newlines are kept. A single unit wider than the line (a very long Latin word) is split by character,
    since overflowing the safe area is worse than an unusual break. Spaces at a break are dropped.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_break_paragraph(paragraph, measure, max_width))
    return lines


def _break_paragraph(text: str, measure: Measure, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for unit in clusters(text):
        if unit.isspace():
            current += unit if current else ""  # a space may become a break; trimmed there
            continue
        if current and measure(current + unit) > max_width:
            lines.append(current.rstrip())
            current = ""
        current += unit
        if measure(current) > max_width:  # one unit alone is too wide: cut it where it overflows
            *full, current = _split_by_char(current, measure, max_width)
            lines.extend(full)
    lines.append(current.rstrip())
    return lines


def _split_by_char(text: str, measure: Measure, max_width: float) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in text:
        if current and measure(current + char) > max_width:
            pieces.append(current)
            current = char
        else:
            current += char
    pieces.append(current)
    return pieces
