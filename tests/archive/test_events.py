"""Event drafts as the command line and the admin give them: everything the site cannot store or play is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from streamkit.archive.events import EventDraft, create_event, set_event_status
from streamkit.archive.models import EventStatus
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError

DRAFT = EventDraft(title="清明公祭", start_local=datetime(2026, 4, 4, 9), end_local=datetime(2026, 4, 4, 10))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"start_local": datetime(1, 1, 1), "end_local": datetime(1, 1, 1, 1)}, "years 1900 to 2999"),
        (
            {"start_local": datetime(9999, 12, 31, 22), "end_local": datetime(9999, 12, 31, 23), "timezone": "EST"},
            "years 1900 to 2999",
        ),
        ({"stream_url": "http://live.example/hls/index.m3u8"}, "must start with https://"),
        ({"stream_url": "javascript:alert(1)"}, "must start with https://"),
        ({"stream_url": "//evil.example/live.m3u8"}, "must start with https://"),
        ({"stream_url": "https://"}, "must start with https://"),
        ({"stream_url": "https://live.example/a b.m3u8"}, "must start with https://"),
    ],
)
def test_a_draft_the_site_cannot_store_or_play_is_refused(
    store: ArchiveStore, changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(ArchiveError, match=problem):
        create_event(store, replace(DRAFT, **changes), actor="test")  # type: ignore[arg-type]
    assert store.all_events() == []


def test_a_plain_http_stream_cannot_go_live(store: ArchiveStore) -> None:
    event = create_event(store, DRAFT, actor="test")
    with pytest.raises(ArchiveError, match="https://"):
        set_event_status(store, event.slug, EventStatus.LIVE, actor="test", stream_url="http://l.example/live.m3u8")
    found = store.event_by_slug(event.slug)
    assert found is not None and (found.status, found.stream_url) == ("upcoming", "")


@pytest.mark.parametrize("url", ["https://live.example/hls/index.m3u8", "/media/live/index.m3u8"])
def test_https_and_paths_on_the_site_can_be_streamed(store: ArchiveStore, url: str) -> None:
    event = create_event(store, replace(DRAFT, stream_url=url), actor="test")
    assert event.stream_url == url
