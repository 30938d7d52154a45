"""Hide stream keys: the one function every URL passes through before anyone sees it, and one for free text.

An RTMP push URL carries secrets in three places: userinfo (up to the *last* ``@``), the stream name after the
application (the key, which may itself hold slashes) and query values (many platforms sign keys with them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
# schemes whose path is /application/stream-name, where the stream name is the key
STREAMING_SCHEMES = frozenset({"rtmp", "rtmps", "rtmpt", "rtmpe", "rtmpte", "rtmpts", "srt"})
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
TRAILING_PUNCTUATION = ":,;.)]"
SHORTEST_SECRET = 4  # shorter strings would mask ordinary words


def mask_url(url: str) -> str:
    """``url`` with userinfo, the stream name and every query value replaced by ``***``; keys and hosts stay."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return MASK
    authority, slash, path_query = rest.partition("/")
    if "@" in authority:
        authority = MASK + "@" + authority.rpartition("@")[2]
    path, question, query = path_query.partition("?")
    path = path.partition("#")[0]
    query = query.partition("#")[0]
    if scheme.lower() in STREAMING_SCHEMES:
        app, more, stream = path.partition("/")
        path = app + (more + MASK if stream else more)
    if question:
        pairs = [pair.partition("=") for pair in query.split("&") if pair]
        query = "&".join(name + (f"={MASK}" if eq else "") for name, eq, _ in pairs) or MASK
    return f"{scheme}{sep}{authority}{slash}{path}{question}{query}"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (ffmpeg's stderr, an error) with every URL masked and every known secret replaced by ``***``."""
    for secret in sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote(secret, safe="/")}:
            text = text.replace(form, MASK)
    return _URL_IN_TEXT.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    url = match.group(0)
    bare = url.rstrip(TRAILING_PUNCTUATION)  # "…/key: Connection refused" ends the URL before the colon
    return mask_url(bare) + url[len(bare) :]
