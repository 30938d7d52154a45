"""The still graphics: lower-third, title slate, standby slate and the minute-of-silence countdown.

Each kind has a ``plan_*`` function (pure layout: where every text and panel goes) and a ``render_*`` function that
paints the plan into a full-frame RGBA image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageFont

from streamkit.overlays.layout import (
    Box,
    FrameGeometry,
    OverlayPlan,
    OverlayTextError,
    Panel,
    PlacedText,
    fit_font_size,
    frame_geometry,
    line_height,
    paint,
    text_width,
    vertical_length,
)
from streamkit.overlays.linebreak import break_lines
from streamkit.overlays.style import OverlayStyle, Rgba, RuleStyle, load_style
from streamkit.overlays.typeface import Typeface, resolve_typeface

Size = tuple[int, int]
DEFAULT_SIZE: Size = (1920, 1080)


def _style(style: OverlayStyle | None) -> OverlayStyle:
    return style if style is not None else load_style()


def _check(face: Typeface, *texts: str | None) -> None:
    face.require("".join(t for t in texts if t))


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    return break_lines(text, font.getlength, max_width)


def _stack(
    lines: Sequence[tuple[str, ImageFont.FreeTypeFont, Rgba]], *, top: int, gap: int, centre_x: int | None, left: int
) -> tuple[list[PlacedText], int]:
    """Place lines under each other from ``top``; centred on ``centre_x`` or flush with ``left``. Returns the bottom."""
    placed = []
    y = top
    for i, (text, font, colour) in enumerate(lines):
        if i:
            y += gap
        x = left if centre_x is None else centre_x - text_width(text, font) // 2
        placed.append(PlacedText(text, font, colour, x, y))
        y += line_height(font)
    return placed, y


def plan_lower_third(
    name: str, detail: str | None = None, *, size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None
) -> OverlayPlan:
    """A name (one line, shrunk to fit if long) over a detail (dates or role, wrapped to the style's line limit)."""
    st = _style(style)
    lt = st.lower_third
    geo = frame_geometry(size, st)
    names, texts = resolve_typeface(st.fonts.names), resolve_typeface(st.fonts.text)
    name = name.strip()
    detail = (detail or "").strip() or None
    if not name:
        raise OverlayTextError("a lower-third needs a name")
    _check(names, name)
    _check(texts, detail)
    pad, rule, gap = geo.px(lt.padding), geo.px(lt.rule_width, minimum=2), geo.px(lt.line_gap)
    panel_max = geo.safe.width if geo.portrait else round(geo.safe.width * lt.max_width)
    text_max = panel_max - rule - 2 * pad
    name_font = names.font(geo.px(lt.name_size))
    name_font = names.font(fit_font_size([name], name_font, text_max))
    detail_font = texts.font(geo.px(lt.detail_size))
    detail_lines = _wrap(detail, detail_font, text_max) if detail else []
    if len(detail_lines) > lt.max_detail_lines:
        raise OverlayTextError(
            f"lower-third detail needs {len(detail_lines)} lines at this size; the style allows {lt.max_detail_lines}"
        )
    rows = [(name, name_font, st.colours.text)] + [(t, detail_font, st.colours.muted) for t in detail_lines]
    width = max(text_width(t, f) for t, f, _ in rows)
    height = sum(line_height(f) for _, f, _ in rows) + gap * (len(rows) - 1)
    box = Box(
        geo.safe.left, geo.safe.bottom - height - 2 * pad, geo.safe.left + rule + 2 * pad + width, geo.safe.bottom
    )
    placed, _ = _stack(rows, top=box.top + pad, gap=gap, centre_x=None, left=box.left + rule + pad)
    panels = (
        Panel(box, st.colours.panel),
        Panel(Box(box.left, box.top, box.left + rule, box.bottom), st.colours.accent),
    )
    return OverlayPlan(size, box, None, panels, tuple(placed))


def render_lower_third(
    name: str, detail: str | None = None, *, size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None
) -> Image.Image:
    """A lower-third as a full transparent frame (RGBA)."""
    return paint(plan_lower_third(name, detail, size=size, style=style))


def _slate_plan(
    size: Size, st: OverlayStyle, rows: list[tuple[str, ImageFont.FreeTypeFont, Rgba]], *, gap: int, rule: RuleStyle
) -> OverlayPlan:
    """Rows centred in the safe area between two short gold rules, on the style's opaque background."""
    geo = frame_geometry(size, st)
    rule_length, rule_width, accent = geo.px(rule.length), geo.px(rule.width, minimum=2), st.colours.accent
    text_height = sum(line_height(f) for _, f, _ in rows) + gap * (len(rows) - 1)
    total = text_height + 2 * (gap + rule_width)
    if total > geo.safe.height:
        raise OverlayTextError(
            f"slate text is too long: it needs {total} px of height, the safe area has {geo.safe.height}"
        )
    centre_x = (geo.safe.left + geo.safe.right) // 2
    top = (geo.safe.top + geo.safe.bottom - total) // 2
    placed, bottom = _stack(rows, top=top + rule_width + gap, gap=gap, centre_x=centre_x, left=0)
    half = rule_length // 2
    rules = [
        Panel(Box(centre_x - half, top, centre_x + half, top + rule_width), accent),
        Panel(Box(centre_x - half, bottom + gap, centre_x + half, bottom + gap + rule_width), accent),
    ]
    widest = max([rule_length, *(text_width(t, f) for t, f, _ in rows)])
    box = Box(centre_x - widest // 2 - 1, top, centre_x + widest // 2 + 1, bottom + gap + rule_width)
    return OverlayPlan(size, box, st.colours.background, tuple(rules), tuple(placed))


def _vertical_block(
    geo: FrameGeometry, columns: list[tuple[str, ImageFont.FreeTypeFont, Rgba]], *, gap: int, what: str
) -> tuple[list[PlacedText], Box]:
    """Columns read top to bottom, the first on the right (traditional vertical setting), centred."""
    widths = [int(f.size) for _, f, _ in columns]
    total_w = sum(widths) + gap * (len(columns) - 1)
    tallest = max(vertical_length(t, f) for t, f, _ in columns)
    if total_w > geo.safe.width or tallest > geo.safe.height:
        raise OverlayTextError(f"{what} text is too long to set vertically in the safe area")
    right = (geo.safe.left + geo.safe.right + total_w) // 2
    top = (geo.safe.top + geo.safe.bottom - tallest) // 2
    placed = []
    x = right
    for (text, font, colour), w in zip(columns, widths, strict=True):
        placed.append(PlacedText(text, font, colour, x - w // 2, top, vertical=True))
        x -= w + gap
    return placed, Box(x + gap - 1, top, right + 1, top + tallest)


def plan_title_slate(
    lines: Sequence[str],
    *,
    size: Size = DEFAULT_SIZE,
    style: OverlayStyle | None = None,
    vertical: bool = False,
) -> OverlayPlan:
    """The first line as the title, further lines smaller; wrapped to the safe area, or set vertically."""
    st = _style(style)
    ts = st.title_slate
    geo = frame_geometry(size, st)
    face = resolve_typeface(st.fonts.names)
    texts = resolve_typeface(st.fonts.text)
    lines = [line.strip() for line in lines if line.strip()]
    if not lines:
        raise OverlayTextError("a title slate needs at least one line of text")
    _check(face, lines[0])
    _check(texts, *lines[1:])
    title_font, line_font = face.font(geo.px(ts.title_size)), texts.font(geo.px(ts.line_size))
    gap = geo.px(ts.line_gap)
    if vertical:
        columns = [(lines[0], title_font, st.colours.text)] + [(t, line_font, st.colours.muted) for t in lines[1:]]
        placed, box = _vertical_block(geo, columns, gap=gap, what="title slate")
        return OverlayPlan(size, box, st.colours.background, (), tuple(placed))
    rows = [(t, title_font, st.colours.text) for t in _wrap(lines[0], title_font, geo.safe.width)]
    for line in lines[1:]:
        rows += [(t, line_font, st.colours.muted) for t in _wrap(line, line_font, geo.safe.width)]
    return _slate_plan(size, st, rows, gap=gap, rule=ts.rule)


def render_title_slate(
    lines: Sequence[str], *, size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None, vertical: bool = False
) -> Image.Image:
    """A title slate on an opaque background."""
    return paint(plan_title_slate(lines, size=size, style=style, vertical=vertical))


def plan_standby_slate(
    message: str | None = None, *, size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None
) -> OverlayPlan:
    """One calm message (the style's default when none is given) between two gold rules."""
    st = _style(style)
    ss = st.standby_slate
    geo = frame_geometry(size, st)
    face = resolve_typeface(st.fonts.text)
    message = (message or "").strip() or ss.message
    _check(face, message)
    font = face.font(geo.px(ss.message_size))
    rows = [(t, font, st.colours.text) for t in _wrap(message, font, geo.safe.width)]
    return _slate_plan(size, st, rows, gap=round(float(font.size) * 0.6), rule=ss.rule)


def render_standby_slate(
    message: str | None = None, *, size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None
) -> Image.Image:
    """The standby slate shown before and between parts of a ceremony (opaque)."""
    return paint(plan_standby_slate(message, size=size, style=style))


def format_remaining(remaining_s: int) -> str:
    """``60`` -> ``1:00``; minutes are not padded, seconds always two digits."""
    if remaining_s < 0:
        raise OverlayTextError(f"a countdown cannot show {remaining_s} s (negative)")
    minutes, seconds = divmod(remaining_s, 60)
    return f"{minutes}:{seconds:02d}"


def plan_countdown(
    remaining_s: int, *, title: str = "默哀", size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None
) -> OverlayPlan:
    """Title over the remaining time, on a panel at the bottom centre; the panel keeps its size as digits change."""
    st = _style(style)
    cd = st.countdown
    geo = frame_geometry(size, st)
    face = resolve_typeface(st.fonts.text)
    digits = format_remaining(remaining_s)
    title = title.strip()
    _check(face, title + digits)
    pad, rule = geo.px(cd.padding), geo.px(cd.rule_width, minimum=2)
    title_font, digits_font = face.font(geo.px(cd.title_size)), face.font(geo.px(cd.digits_size))
    # the widest digit in every position, so the panel does not breathe from second to second
    widest = "".join("0" if c.isdigit() else c for c in digits)
    widest = max((widest.replace("0", d) for d in "0123456789"), key=lambda t: text_width(t, digits_font))
    inner = max(text_width(widest, digits_font), text_width(title, title_font) if title else 0)
    height = line_height(digits_font) + (line_height(title_font) + pad // 2 + rule + pad // 2 if title else 0)
    centre_x = (geo.safe.left + geo.safe.right) // 2
    box = Box(
        centre_x - inner // 2 - pad, geo.safe.bottom - height - 2 * pad, centre_x + inner // 2 + pad, geo.safe.bottom
    )
    placed: list[PlacedText] = []
    panels = [Panel(box, st.colours.panel)]
    y = box.top + pad
    if title:
        placed.append(
            PlacedText(title, title_font, st.colours.accent, centre_x - text_width(title, title_font) // 2, y)
        )
        y += line_height(title_font) + pad // 2
        panels.append(Panel(Box(centre_x - inner // 4, y, centre_x + inner // 4, y + rule), st.colours.accent))
        y += rule + pad // 2
    placed.append(PlacedText(digits, digits_font, st.colours.text, centre_x - text_width(digits, digits_font) // 2, y))
    return OverlayPlan(size, box, None, tuple(panels), tuple(placed))


def render_countdown(
    remaining_s: int, *, title: str = "默哀", size: Size = DEFAULT_SIZE, style: OverlayStyle | None = None
) -> Image.Image:
    """One second of the minute-of-silence countdown as a full transparent frame."""
    return paint(plan_countdown(remaining_s, title=title, size=size, style=style))


@dataclass(frozen=True)
class CountdownClip:
    """The whole countdown as a clip for OBS media sources: one frame per second, ``seconds`` down to ``0:00``."""

    seconds: int
    title: str = "默哀"
    size: Size = DEFAULT_SIZE
    style: OverlayStyle = field(default_factory=load_style)
    fps: int = 1

    def __post_init__(self) -> None:
        format_remaining(self.seconds)  # refuses negative time before any frame is drawn
        plan_countdown(self.seconds, title=self.title, size=self.size, style=self.style)  # and texts without glyphs

    @property
    def frame_count(self) -> int:
        return self.seconds + 1

    @property
    def duration_s(self) -> float:
        return float(self.frame_count)

    def frame(self, index: int) -> Image.Image:
        return render_countdown(self.seconds - index, title=self.title, size=self.size, style=self.style)
