"""The 情况报告 as a ``.docx`` laid out in the official document style (GB/T 9704-2012 house style).

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (a 156 x 225 mm type area); 22 lines a page
(exact line spacing 28.95 pt); body 三号 (16 pt) 仿宋, title 二号 (22 pt) 方正小标宋, level-1 headings 黑体,
level-2 楷体, level-3 paragraphs in the body font. python-docx's ``font.name`` leaves the East-Asian slot
(``w:eastAsia``) unset and the default template points it at a theme font, so Chinese text would fall back to
another face: every style and every run here names all four slots and drops the theme references.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from streamkit.campaigns.fonts import ReportFonts
from streamkit.campaigns.narrative import Block
from streamkit.campaigns.stable_zip import pin

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
PAGE_NUMBER_PT = 14  # 四号
LINE_PT = 28.95  # 225 mm / 22 lines, rounded down to the twip so 22 fit
FONT_SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_SLOTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
STYLES = {  # block kind -> (style name, outline level or None)
    "title": ("公文标题", None),
    "heading1": ("公文一级标题", 0),
    "heading2": ("公文二级标题", 1),
    "heading3": ("公文三级标题", 2),
    "body": ("公文正文", None),
    "right": ("公文落款", None),
}


def set_fonts(rpr: object, family: str) -> None:
    """Name ``family`` in every font slot of an ``w:rPr`` (East-Asian included) and drop theme fonts."""
    fonts = rpr.get_or_add_rFonts()  # type: ignore[attr-defined]
    for slot in THEME_SLOTS:
        fonts.attrib.pop(qn(slot), None)
    for slot in FONT_SLOTS:
        fonts.set(qn(slot), family)


def _style(document: object, name: str, family: str, size_pt: float, outline: int | None) -> ParagraphStyle:
    style: ParagraphStyle = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)  # type: ignore[attr-defined]
    style.base_style = None
    style.quick_style = True
    style.font.size = Pt(size_pt)
    style.font.bold = False
    set_fonts(style.element.get_or_add_rPr(), family)
    layout = style.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = Pt(LINE_PT)
    layout.space_before = Pt(0)
    layout.space_after = Pt(0)
    layout.widow_control = False  # a grid of 22 lines: no line pushed over to the next page
    if outline is not None:  # the navigation pane and the table of contents see the headings
        ppr = style.element.get_or_add_pPr()
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        ppr.append(level)
    return style


def _page_numbers(document: Any, family: str) -> None:
    """Page numbers as the standard sets them: 四号 宋体, an em dash either side ("— 1 —"), odd pages flush right and
    even pages flush left, one character in from the edge."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        layout = paragraph.paragraph_format
        layout.left_indent = layout.right_indent = Pt(PAGE_NUMBER_PT)
        # a PAGE field between the dashes, its last result "1" shown until the viewer updates it
        parts = [("text", "— "), ("fldChar", "begin"), ("instrText", " PAGE "), ("fldChar", "separate"),
                 ("text", "1"), ("fldChar", "end"), ("text", " —")]  # fmt: skip
        for kind, value in parts:
            run = paragraph.add_run()
            run.font.size = Pt(PAGE_NUMBER_PT)
            set_fonts(run._element.get_or_add_rPr(), family)
            if kind == "text":
                run.text = value
            elif kind == "fldChar":
                mark = OxmlElement("w:fldChar")
                mark.set(qn("w:fldCharType"), value)
                run._element.append(mark)
            else:
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = value
                run._element.append(instruction)


def build_docx(blocks: Sequence[Block], fonts: ReportFonts, *, title: str, author: str, stamp: datetime) -> bytes:
    """The document's bytes; the same blocks, fonts and stamp give the same bytes."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(28)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")  # 22 lines a page: the pitch of the exact line spacing, in twips
    grid.set(qn("w:linePitch"), str(round(LINE_PT * 20)))

    # the defaults every run inherits, and Normal, in the body font too (a pasted paragraph stays Chinese)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        default_rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        set_fonts(default_rpr, fonts.body)
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    set_fonts(normal.element.get_or_add_rPr(), fonts.body)

    families = {
        "title": (fonts.title, TITLE_PT),
        "heading1": (fonts.heading1, BODY_PT),
        "heading2": (fonts.heading2, BODY_PT),
        "heading3": (fonts.body, BODY_PT),
        "body": (fonts.body, BODY_PT),
        "right": (fonts.body, BODY_PT),
    }
    styles = {kind: _style(document, name, *families[kind], outline) for kind, (name, outline) in STYLES.items()}
    styles["title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["title"].paragraph_format.space_after = Pt(LINE_PT)  # one empty line under the title
    for kind in ("heading1", "heading2", "heading3", "body"):
        styles[kind].paragraph_format.first_line_indent = Pt(2 * BODY_PT)  # two characters
        styles[kind].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    styles["right"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    styles["right"].paragraph_format.right_indent = Pt(4 * BODY_PT)  # the date four characters from the edge

    for block in blocks:
        paragraph: Paragraph = document.add_paragraph(style=styles[block.kind])
        run = paragraph.add_run(block.text)
        family, size = families[block.kind]
        run.font.size = Pt(size)
        set_fonts(run._element.get_or_add_rPr(), family)

    _page_numbers(document, fonts.page_number)
    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.last_modified_by = author
    properties.created = properties.modified = stamp
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return pin(buffer.getvalue(), stamp)
