"""Fixtures for the archive store: a fresh database and media folder per test, events and WebVTT files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from streamkit.archive.events import EventDraft, create_event
from streamkit.archive.models import Event
from streamkit.archive.store import ArchiveStore

CAPTIONS_VTT = """WEBVTT

00:00:00.000 --> 00:00:02.500
向英烈默哀

00:00:02.500 --> 00:00:06.000
敬献花篮
"""
CHAPTERS_VTT = """WEBVTT

chapter-1
00:00:00.000 --> 00:00:02.000
开场

chapter-2
00:00:02.000 --> 00:00:05.000
敬献花篮
"""


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[ArchiveStore]:
    """A fresh store on SQLite and on PostgreSQL (tests/conftest.py)."""
    archive = ArchiveStore(database_url, tmp_path / "media")
    yield archive
    archive.dispose()


def make_event(
    store: ArchiveStore,
    title: str = "清明祭英烈仪式",
    *,
    starts_in: timedelta = timedelta(days=2),
    minutes: int = 60,
    status: str = "upcoming",
    **fields: str,
) -> Event:
    # Drafts hold local time at the venue (Asia/Shanghai by default), not the machine's.
    start = (datetime.now(ZoneInfo("Asia/Shanghai")) + starts_in).replace(second=0, microsecond=0, tzinfo=None)
    draft = EventDraft(
        title=title,
        start_local=start,
        end_local=start + timedelta(minutes=minutes),
        status=status,
        **fields,  # type: ignore[arg-type]
    )
    return create_event(store, draft, actor="test")


@pytest.fixture
def vtt_files(tmp_path: Path) -> tuple[Path, Path]:
    captions = tmp_path / "captions.vtt"
    captions.write_text(CAPTIONS_VTT, encoding="utf-8")
    chapters = tmp_path / "chapters.vtt"
    chapters.write_text(CHAPTERS_VTT, encoding="utf-8")
    return captions, chapters
