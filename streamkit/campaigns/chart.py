"""The daily chart of a campaign as inline SVG, drawn on the server (the site's CSP allows no script for it).

One panel per kind (flowers, messages, …), each with its own scale: flowers run to thousands a day while approved
messages run to tens, and on a shared scale the messages would be a flat line. A bar per day; every bar carries a
``<title>`` (the browser shows it on hover, a screen reader reads it). Only presentation attributes are used, no
``style=``, which the CSP would block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

COLOURS = ("#8c1c13", "#2f5d8a", "#5b7b3a", "#7a5c99")  # one per panel, in order
WIDTH = 720
PANEL = 120  # height of one panel, axis labels included
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 22, 20


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int, ...]


def nice_top(peak: int) -> int:
    """A round top for the axis at or above ``peak``: 1, 2 or 5 times a power of ten."""
    if peak <= 1:
        return 1
    magnitude: int = 10 ** (len(str(peak)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= peak)


def daily_chart(days: Sequence[date], series: Sequence[Series], *, title: str) -> str:
    """The SVG markup (escaped, safe to embed as is); an empty campaign gets a one-line note in the SVG."""
    height = PANEL * max(len(series), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="daily-chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        '<desc id="chart-desc">' + escape("；".join(f"{s.label}共{sum(s.values)}" for s in series)) + "</desc>",
    ]
    if not days:
        out.append(f'<text x="{LEFT}" y="{TOP + 20}" font-size="14" fill="#555">—</text></svg>')
        return "".join(out)
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / len(days)
    bar = max(step * 0.8, 1.0)
    for index, one in enumerate(series):
        top = index * PANEL + TOP
        plot_height = PANEL - TOP - BOTTOM
        peak = nice_top(max(one.values, default=0))
        colour = COLOURS[index % len(COLOURS)]
        out.append(f'<g class="panel" data-kind-label="{escape(one.label)}">')
        out.append(
            f'<text x="{LEFT}" y="{top - 6}" font-size="13" font-weight="bold" fill="{colour}">'
            f"{escape(one.label)}（每日，共{sum(one.values)}）</text>"
        )
        base = top + plot_height
        out.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#999" stroke-width="1"/>')
        for value in sorted({peak, peak // 2} - {0}):
            y = top + plot_height * (1 - value / peak)
            out.append(
                f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">{value}</text>'
            )
            out.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e5e5e5" stroke-width="1"/>'
            )
        for i, (day, value) in enumerate(zip(days, one.values, strict=True)):
            h = plot_height * value / peak
            x = LEFT + i * step + (step - bar) / 2
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{day.isoformat()} {escape(one.label)} {value}</title></rect>"
            )
        for i in sorted({0, len(days) // 2, len(days) - 1}):
            x = LEFT + i * step + step / 2
            out.append(
                f'<text x="{x:.1f}" y="{base + 14}" font-size="11" text-anchor="middle" fill="#555">'
                f"{days[i].month}月{days[i].day}日</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
