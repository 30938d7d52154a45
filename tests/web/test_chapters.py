"""Chapters WebVTT files read into the links the entry page shows."""

from __future__ import annotations

import pytest

from streamkit.web.chapters import parse_chapters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WEBVTT\n\n00:00.000 --> 00:05.000\n开场\n", [(0, "开场")]),
        (
            "WEBVTT\n\nc2\n1:00:01.250 --> 1:00:09.000\n尾声\n\nc1\n00:00:02.000 --> 00:00:03.000\n献花\n",
            [(2000, "献花"), (3_601_250, "尾声")],
        ),
        ("WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\n<b>粗体</b>\r\n", [(1000, "<b>粗体</b>")]),
        ("WEBVTT\n\nbroken --> 00:01.000\nx\n\n00:03.000 --> 00:04.000\n", []),
    ],
)
def test_chapter_parsing(text: str, expected: list[tuple[int, str]]) -> None:
    assert [(c.start_ms, c.title) for c in parse_chapters(text)] == expected
