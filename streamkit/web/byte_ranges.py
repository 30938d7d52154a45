"""Which part of a media file a ``Range`` header asks for, read the way RFC 9110 §14 says; werkzeug does the rest.

werkzeug answers 416 to a range unit it does not know, to several ranges and to a suffix longer than the file;
RFC 9110 has the server ignore an unknown unit (§14.2), allows it to ignore a multi-range request (§14.2) and
serves the whole representation for an over-long suffix (§14.1.2). Players ask for one range at a time, so the
whole file (200) is the answer to several.
"""

from __future__ import annotations


def effective_range(header: str | None, length: int) -> str | None:
    """The Range header to answer for a file of ``length`` bytes; None means send the whole file (200).

    Anything not rewritten here is passed on unchanged: werkzeug serves it (206) or refuses it (416 with
    ``Content-Range: bytes */length``).
    """
    if header is None:
        return None
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip(" \t").lower() != "bytes":
        return None
    ranges = [spec.strip(" \t") for spec in specs.split(",")]
    if len(ranges) > 1:
        return None
    suffix = ranges[0].removeprefix("-")
    if ranges[0].startswith("-") and suffix.isdigit() and int(suffix) > length:
        return "bytes=0-"
    return header
