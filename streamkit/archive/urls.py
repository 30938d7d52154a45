"""Which URLs a page of the site may point a player or a redirect at: https anywhere, or a path on the site.

The site's Content-Security-Policy loads media only from the site itself or over https, and an https page blocks
plain-http media as mixed content, so an ``http://`` URL elsewhere could never play. Browsers drop tabs and line
breaks inside URLs and read ``\\`` as ``/``, so ``/<tab>/evil.example`` is another host: paths holding a control
character, a space or a backslash are refused.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # controls, space, backslash


def site_path(url: str) -> bool:
    """Whether ``url`` is a path on this site (``/media/…``), which no browser can read as another host."""
    return url.startswith("/") and not url.startswith("//") and not UNSAFE.search(url)


def playable_url(url: str) -> bool:
    """Whether the site's pages can play media from ``url``: an https URL naming a host, or a path on the site."""
    if site_path(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ in the host
        return False
    return parts.scheme == "https" and url.startswith("https://") and bool(parts.hostname) and not UNSAFE.search(url)
