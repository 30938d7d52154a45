"""The archive store: migrations on an empty database, publishing, listing with filters."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.publish import publish_media
from streamkit.archive.schema import current_revision, head_revision
from streamkit.archive.store import ArchiveQuery, ArchiveStore, open_store
from streamkit.config.settings import WebSettings
from streamkit.errors import ArchiveError
from streamkit.media.samples import SampleSet
from tests.archive.conftest import make_event


def test_migrations_create_every_table_on_an_empty_database(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "empty.db"
    store = ArchiveStore(f"sqlite:///{db}", tmp_path / "media")
    tables = set(inspect(store.engine).get_table_names())
    assert {"events", "archive_entries", "tags", "entry_tags", "users", "audit_log", "alembic_version"} <= tables
    assert current_revision(store.engine) == head_revision() is not None
    assert store.migrate() is False  # second use: already current, nothing runs
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.dispose()


def test_open_store_uses_the_settings_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # library code reads no settings of its own: the environment is for the command line and the app to read
    monkeypatch.setenv("STREAMKIT_WEB__DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    web = WebSettings(database_url=f"sqlite:///{tmp_path / 'given.db'}", media_dir=tmp_path / "media")
    given = open_store(web)
    flagged = open_store(web, database_url=f"sqlite:///{tmp_path / 'flag.db'}", media_dir=tmp_path / "flag-media")
    assert (given.database_url, given.media_dir) == (web.database_url, tmp_path / "media")
    assert (flagged.database_url, flagged.media_dir) == (f"sqlite:///{tmp_path / 'flag.db'}", tmp_path / "flag-media")
    assert (tmp_path / "given.db").exists() and not (tmp_path / "from-env.db").exists()
    given.dispose()
    flagged.dispose()


def test_bad_database_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="bad database URL"):
        ArchiveStore("not a url at all", tmp_path)


def test_database_errors_hide_the_password(tmp_path: Path) -> None:
    # No PostgreSQL driver is installed here, so opening fails; the message must not carry the password.
    with pytest.raises(ArchiveError) as caught:
        ArchiveStore("postgresql+nosuchdriver://staff:hunter2secret@db.example/archive", tmp_path)
    assert "hunter2secret" not in str(caught.value) and "staff:***@db.example" in str(caught.value)
    with pytest.raises(ArchiveError) as caught:
        ArchiveStore("postgresql://staff:hunter2secret@db.example:notaport/archive", tmp_path)
    assert "hunter2secret" not in str(caught.value)


def test_publish_copies_files_and_is_idempotent_by_checksum(
    store: ArchiveStore, samples: SampleSet, vtt_files: tuple[Path, Path]
) -> None:
    captions, chapters = vtt_files
    clip = samples.clips[0]
    first = publish_media(
        store,
        kind="tour",
        title="陵园导览",
        media_path=clip,
        duration_ms=3000,
        poster=samples.photos[0],
        captions_vtt=captions,
        chapters_vtt=chapters,
        tags=["导览", "清明"],
        campaign="清明2026",
    )
    again = publish_media(store, kind="tour", title="陵园导览（修订）", media_path=clip, duration_ms=3000)
    assert again.id == first.id
    assert store.list_entries().total == 1
    assert store.entry(first.id).title == "陵园导览（修订）"  # type: ignore[union-attr]
    media = store.media_dir / first.media_file
    assert media.read_bytes() == clip.read_bytes()
    assert (store.media_dir / first.captions_file).read_text(encoding="utf-8").startswith("WEBVTT")
    assert first.tag_names == ["导览", "清明"]
    assert [r.action for r in store.audit_log()] == ["republish", "publish"]


def test_publish_for_an_event_marks_it_ended(store: ArchiveStore, samples: SampleSet) -> None:
    event = make_event(store, status="live")
    publish_media(
        store, kind="recording", title="录像", media_path=samples.clips[1], duration_ms=3000, event_slug=event.slug
    )
    found = store.event_by_slug(event.slug)
    assert found is not None and found.status == "ended"
    assert [r.title for r in found.recordings] == ["录像"]


@pytest.mark.parametrize(
    ("captions_text", "message"),
    [("not a vtt\n", "not a WebVTT file"), (b"WEBVTT\n\xff\xfe\n", "UTF-8")],
)
def test_publish_refuses_bad_captions_and_writes_nothing(
    store: ArchiveStore, samples: SampleSet, tmp_path: Path, captions_text: str | bytes, message: str
) -> None:
    bad = tmp_path / "bad.vtt"
    if isinstance(captions_text, bytes):
        bad.write_bytes(captions_text)
    else:
        bad.write_text(captions_text)
    with pytest.raises(ArchiveError, match=message):
        publish_media(store, kind="tour", title="x", media_path=samples.clips[0], duration_ms=1000, captions_vtt=bad)
    assert store.list_entries(published_only=False).total == 0
    assert not store.media_dir.exists() or not any(store.media_dir.iterdir())


def test_publish_refuses_unknown_event_and_missing_file(
    store: ArchiveStore, samples: SampleSet, tmp_path: Path
) -> None:
    with pytest.raises(ArchiveError, match="no event with slug"):
        publish_media(store, kind="recording", title="x", media_path=samples.clips[0], duration_ms=1, event_slug="nope")
    with pytest.raises(ArchiveError, match="not found"):
        publish_media(store, kind="tour", title="x", media_path=tmp_path / "missing.mp4", duration_ms=1)
    assert store.list_entries(published_only=False).total == 0


def test_publish_refuses_overlong_title_and_tags(store: ArchiveStore, samples: SampleSet) -> None:
    with pytest.raises(ArchiveError, match="longer than 200"):
        publish_media(store, kind="tour", title="长" * 201, media_path=samples.clips[0], duration_ms=1)
    with pytest.raises(ArchiveError, match="at most 80"):
        publish_media(store, kind="tour", title="x", media_path=samples.clips[0], duration_ms=1, tags=["标" * 81])
    assert store.list_entries(published_only=False).total == 0
    assert not store.media_dir.exists() or not any(store.media_dir.iterdir())


def test_publish_by_link_keeps_the_original_file(store: ArchiveStore, samples: SampleSet) -> None:
    entry = publish_media(store, kind="tour", title="x", media_path=samples.clips[2], duration_ms=1, copy=False)
    placed = store.media_dir / entry.media_file
    assert placed.is_symlink() and placed.resolve() == samples.clips[2].resolve()


def _entry(store: ArchiveStore, title: str, **fields: object) -> None:
    with store.transaction() as session:
        tags = fields.pop("tags", [])
        entry = ArchiveEntry(title=title, kind=fields.pop("kind", "recording"), media_url="https://v.example/a.mp4")
        for key, value in fields.items():
            setattr(entry, key, value)
        entry.tags = ArchiveStore.tags_for(session, tags)  # type: ignore[arg-type]
        session.add(entry)


def test_listing_filters_search_and_pages_in_sql(store: ArchiveStore) -> None:
    for n in range(25):
        _entry(
            store,
            f"仪式录像 {n:02d}",
            published_at=datetime(2024 + n % 2, 4, 4, 9, n),
            campaign="清明2025" if n % 2 else "清明2024",
            venue="烈士陵园",
            tags=["献花"] if n % 5 == 0 else [],
            kind="tour" if n == 7 else "recording",
            published=n != 24,
        )
    everything = store.list_entries(per_page=10)
    assert (everything.total, everything.pages, len(everything.items)) == (24, 3, 10)
    assert everything.items[0].title == "仪式录像 23"  # newest first
    last = store.list_entries(page=99, per_page=10)
    assert last.page == 3 and len(last.items) == 4 and not last.has_next
    assert store.list_entries(ArchiveQuery(campaign="清明2025")).total == 12
    assert store.list_entries(ArchiveQuery(year=2024)).total == 12  # n = 0..22 even, 24 unpublished
    assert {e.title for e in store.list_entries(ArchiveQuery(tag="献花")).items} == {
        "仪式录像 00",
        "仪式录像 05",
        "仪式录像 10",
        "仪式录像 15",
        "仪式录像 20",
    }
    assert [e.title for e in store.list_entries(ArchiveQuery(kind="tour")).items] == ["仪式录像 07"]
    assert store.list_entries(ArchiveQuery(text="录像 1")).total == 10
    assert store.list_entries(ArchiveQuery(text="%")).total == 0  # LIKE wildcards are literal
    assert store.facets()["year"] == ["2025", "2024"]
