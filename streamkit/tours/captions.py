"""Captions as text files: SRT, WebVTT, chapters WebVTT and the ASS script libass burns in.

Every caption text passes through ``escape(text, dialect)``, the one escaping function (tested with a table).
Lines are wrapped for burning in only; sidecars keep the text exactly as written (players wrap them).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from streamkit.tours.spec import CaptionStyle
from streamkit.tours.timeline import CaptionCue, Chapter

Dialect = Literal["srt", "vtt", "ass", "ffmetadata"]

# U+2060 WORD JOINER: invisible, stops libass reading "\n", "\N", "\h" or "{" as markup.
_JOINER = "\u2060"


def escape(text: str, dialect: Dialect) -> str:
    """Make ``text`` show exactly as written in ``dialect``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if dialect == "srt":
        # a blank line ends an SRT cue; keep single line breaks only
        return re.sub(r"\n\s*\n+", "\n", text.strip("\n"))
    if dialect == "vtt":
        text = re.sub(r"\n\s*\n+", "\n", text.strip("\n"))
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")
    if dialect == "ass":
        text = text.replace("\\", "\\" + _JOINER).replace("{", "{" + _JOINER)
        return text.replace("\n", "\\N")
    if dialect == "ffmetadata":
        return re.sub(r"([=;#\\\n])", r"\\\1", text)
    raise ValueError(f"unknown dialect {dialect!r}")


def char_width(char: str) -> float:
    """CJK and full-width characters count 1, everything else 1/2 (for line wrapping)."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5


# a line may not start with these (kinsoku shori): they stay on the line before
_NO_LINE_START = set("，。、！？；：」』）》〉】”’,.!?;:)]%")
_TOKEN = re.compile(r"[A-Za-z0-9'@#&_\-.]+\s*|\s+|.", re.S)


def wrap(text: str, max_units: int) -> str:
    """Wrap ``text`` to lines of at most ``max_units`` (CJK char = 1, Latin = 1/2); break CJK anywhere.

    Lines are balanced (two lines of 10 rather than 18 and 2), Latin words stay whole, punctuation never starts
    a line, and the line breaks already in ``text`` are kept.
    """
    out: list[str] = []
    for paragraph in text.split("\n"):
        tokens = _TOKEN.findall(paragraph)
        total = sum(char_width(c) for c in paragraph)
        lines_needed = max(1, math.ceil(total / max_units))
        balanced = _greedy(tokens, min(max_units, math.ceil(total / lines_needed)))
        out += balanced if len(balanced) <= lines_needed else _greedy(tokens, max_units)
    return "\n".join(out)


def _greedy(tokens: Sequence[str], limit: float) -> list[str]:
    lines: list[str] = []
    line = ""
    width = 0.0
    for token in tokens:
        w = sum(char_width(c) for c in token)
        if line and width + w > limit and token[0] not in _NO_LINE_START and not token.isspace():
            lines.append(line.rstrip())
            line, width = "", 0.0
        if not line and token.isspace():
            continue
        line += token
        width += w
    lines.append(line.rstrip())
    return lines


def _clock(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


def srt(cues: Sequence[CaptionCue]) -> str:
    blocks = [
        f"{i}\n{_clock(c.start_ms, ',')} --> {_clock(c.end_ms, ',')}\n{escape(c.text, 'srt')}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def vtt(cues: Sequence[CaptionCue | Chapter]) -> str:
    blocks = ["WEBVTT\n"]
    for i, c in enumerate(cues, 1):
        text = c.text if isinstance(c, CaptionCue) else c.title
        blocks.append(f"{i}\n{_clock(c.start_ms, '.')} --> {_clock(c.end_ms, '.')}\n{escape(text, 'vtt')}\n")
    return "\n".join(blocks)


def ffmetadata(chapters: Sequence[Chapter], title: str) -> str:
    """An ``;FFMETADATA1`` file with the tour's title and its chapters (milliseconds)."""
    lines = [";FFMETADATA1", f"title={escape(title, 'ffmetadata')}"]
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start_ms}", f"END={ch.end_ms}"]
        lines.append(f"title={escape(ch.title, 'ffmetadata')}")
    return "\n".join(lines) + "\n"


def _ass_clock(ms: int) -> str:
    cs = round(ms / 10)
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    s, c = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{c:02d}"


ALIGNMENT = {"bottom": 2, "middle": 5, "top": 8}


def ass(cues: Sequence[CaptionCue], style: CaptionStyle, size: tuple[int, int]) -> str:
    """The ASS script for burning captions in; fonts scale with the frame (PlayRes = output size)."""
    width, height = size
    font_size = style.size or max(10, height // 16)
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",  # no automatic wrapping: lines are wrapped by `wrap`, CJK aware
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font},{font_size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,"
        f"{style.outline:g},0,{ALIGNMENT[style.position]},{width // 20},{width // 20},{max(4, height // 18)},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = [
        f"Dialogue: 0,{_ass_clock(c.start_ms)},{_ass_clock(c.end_ms)},Caption,,0,0,0,,"
        + escape(wrap(c.text, style.max_chars), "ass")
        for c in cues
    ]
    return "\n".join(header + events) + "\n"
