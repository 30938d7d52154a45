"""The report's words: an editable Jinja text template (``config/campaigns/templates/report.txt.j2``) rendered with
the figures, then read as blocks the document builder lays out.

The template marks each line with what it is; the numbering (一、 （一） 1.) is added here, so an editor moves or
adds a heading without renumbering the rest:

    = title           the document title
    # heading         level 1, numbered 一、二、…
    ## heading        level 2, numbered （一）（二）… within its level-1 heading
    ### text         a level-3 paragraph, numbered 1. 2. … within its level-2 heading
    > text            a line set flush right (the signature and the date)
    anything else     a body paragraph; blank lines are skipped
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from streamkit.errors import ConfigError

DEFAULT_TEMPLATE = Path("config/campaigns/templates/report.txt.j2")
DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals as headings count: 一, 十, 十一, 二十, 二十一."""
    if not 0 < n < 100:
        raise ValueError(f"heading number {n} is out of range")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def chinese_date(day: date) -> str:
    """The date as an official document writes it: Arabic numerals, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Block:
    kind: str  # title, heading1, heading2, heading3, body, right
    text: str


def render_text(template: Path, context: dict[str, Any]) -> str:
    """Render the template; a mistake in it is a ``file:line`` error."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.parent)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # a Word document, not HTML: the text is set in runs, never parsed as markup
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["cn_date"] = chinese_date
    try:
        return environment.get_template(template.name).render(**context)
    except jinja2.TemplateNotFound:
        raise ConfigError.single(template, "report template not found") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError.single(template, f"template error: {exc.message}", line=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise ConfigError.single(template, f"template error: {exc.message}") from None


def blocks(text: str) -> list[Block]:
    """Read rendered text into numbered blocks."""
    out: list[Block] = []
    level1 = level2 = level3 = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        marker, _, rest = line.partition(" ")
        rest = rest.strip()
        if marker == "=":
            out.append(Block("title", rest))
        elif marker == "#":
            level1, level2, level3 = level1 + 1, 0, 0
            out.append(Block("heading1", f"{chinese_number(level1)}、{rest}"))
        elif marker == "##":
            level2, level3 = level2 + 1, 0
            out.append(Block("heading2", f"（{chinese_number(level2)}）{rest}"))
        elif marker == "###":
            level3 += 1
            out.append(Block("heading3", f"{level3}.{rest}"))
        elif marker == ">":
            out.append(Block("right", rest))
        else:
            out.append(Block("body", line))
    return out
