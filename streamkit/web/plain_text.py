"""Text without control characters: what the staff forms accept and what the feeds and the calendar emit.

XML 1.0 cannot carry C0 controls other than tab and line breaks (an Atom or RSS feed holding one does not parse),
and RFC 5545 allows no control character in calendar text except the line breaks it escapes itself.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, but tab, line feed and carriage return; and the two XML non-characters
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
LINE_CONTROLS = re.compile("[\t\n\r]")


def has_controls(text: str, *, multiline: bool) -> bool:
    """Whether ``text`` holds a control character; tabs and line breaks count only in one-line text."""
    return bool(CONTROLS.search(text) or (not multiline and LINE_CONTROLS.search(text)))


def plain(text: str) -> str:
    """``text`` with its control characters removed and its line breaks as ``\\n``: safe in XML and iCalendar."""
    return CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
