"""An entry's own HLS ladder: published whole beside its media, and the column that names it migrates both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from streamkit.archive import schema
from streamkit.archive.publish import publish_media
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.media.samples import SampleSet


def ladder(folder: Path) -> Path:
    (folder / "180p").mkdir(parents=True)
    (folder / "master.m3u8").write_text("#EXTM3U\n180p/index.m3u8\n", encoding="utf-8")
    (folder / "180p" / "index.m3u8").write_text("#EXTM3U\n", encoding="utf-8")
    return folder


def test_a_ladder_is_published_beside_the_media(store: ArchiveStore, samples: SampleSet, tmp_path: Path) -> None:
    entry = publish_media(store, kind="recording", title="录像", media_path=samples.clips[0], duration_ms=3000,
                          hls_dir=ladder(tmp_path / "hls"))  # fmt: skip
    assert entry.hls_file == f"{entry.media_file.partition('/')[0]}/hls/master.m3u8"
    assert (store.media_dir / entry.hls_file).is_file()
    assert (store.media_dir / entry.hls_file).parent.joinpath("180p", "index.m3u8").is_file()
    assert not list(store.media_dir.rglob(".*partial*"))


def test_a_folder_without_a_master_playlist_is_refused(store: ArchiveStore, samples: SampleSet, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArchiveError, match=r"master\.m3u8"):
        publish_media(store, kind="recording", title="录像", media_path=samples.clips[0], duration_ms=3000,
                      hls_dir=tmp_path / "empty")  # fmt: skip
    assert not store.media_dir.exists() or not any(store.media_dir.iterdir())


def test_the_ladder_column_downgrades_and_upgrades_again(store: ArchiveStore) -> None:
    from alembic import command

    columns = {c["name"] for c in inspect(store.engine).get_columns("archive_entries")}
    assert "hls_file" in columns
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005")
    assert "hls_file" not in {c["name"] for c in inspect(store.engine).get_columns("archive_entries")}
    assert store.migrate() is True
    assert "hls_file" in {c["name"] for c in inspect(store.engine).get_columns("archive_entries")}
