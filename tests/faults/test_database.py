"""The database is locked, read-only, corrupt or gone during a publish and during a burst of writes: a clear error
(or a wait that succeeds), and nothing half-written: rows counted before and after."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from streamkit.archive.publish import publish_media
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.media.samples import SampleSet
from tests.archive.conftest import make_event
from tests.conftest import run_cli
from tests.faults.conftest import FaultRow, SmallFs, one_line_error, remount

pytestmark = pytest.mark.faults

BURST = 8


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _missing_files(db: Path, media_dir: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        names = [row[0] for row in connection.execute("SELECT media_file FROM archive_entries")]
    return [n for n in names if not (media_dir / n).is_file()]


@contextmanager
def exclusive_lock(db: Path) -> Iterator[None]:
    """Another program holding the write lock (an admin's long transaction, a backup tool)."""
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def _add(path: Path, title: str, db: Path, media_dir: Path) -> list[str]:
    return ["archive", "add", str(path), "--title", title, "--db", f"sqlite:///{db}", "--media-dir", str(media_dir)]


def test_publish_while_another_program_holds_the_lock(
    samples: SampleSet, tmp_path: Path, fault_row: list[FaultRow]
) -> None:
    db, media_dir = tmp_path / "site.db", tmp_path / "media"
    assert run_cli(_add(samples.clips[0], "大门", db, media_dir), cwd=tmp_path).returncode == 0
    with exclusive_lock(db):
        done = run_cli(_add(samples.clips[1], "墓区", db, media_dir), cwd=tmp_path)
        line = one_line_error(done)
    assert "locked" in line, line
    assert _count(db, "archive_entries") == 1 and _missing_files(db, media_dir) == []
    again = run_cli(_add(samples.clips[1], "墓区", db, media_dir), cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # once the lock is gone, the same command goes through
    assert _count(db, "archive_entries") == 2 and _missing_files(db, media_dir) == []
    fault_row.append(FaultRow("db locked: archive add", "refused, 1 row; retry ok, 2", line.removeprefix("error: ")))


def test_publish_onto_a_read_only_disk(
    samples: SampleSet, tmp_path: Path, small_fs: SmallFs, fault_row: list[FaultRow]
) -> None:
    disk = small_fs("db", 1 << 20)
    db, media_dir = disk / "site.db", tmp_path / "media"
    assert run_cli(_add(samples.clips[0], "大门", db, media_dir), cwd=tmp_path).returncode == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    remount(disk, "ro")  # as root, chmod would not stop the write; a read-only file system does
    try:
        done = run_cli(_add(samples.clips[1], "墓区", db, media_dir), cwd=tmp_path)
    finally:
        remount(disk, "rw")
    line = one_line_error(done)
    assert "read" in line, line
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert _count(db, "archive_entries") == 1 and _missing_files(db, media_dir) == []
    fault_row.append(FaultRow("db read-only: archive add", "refused, 1 row kept", line.removeprefix("error: ")))


def test_publish_when_the_database_disk_is_full(
    samples: SampleSet, tmp_path: Path, small_fs: SmallFs, fault_row: list[FaultRow]
) -> None:
    disk = small_fs("db", 1 << 20)
    db, media_dir = disk / "site.db", tmp_path / "media"
    assert run_cli(_add(samples.clips[0], "大门", db, media_dir), cwd=tmp_path).returncode == 0
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(bytes(free))  # the logs beside the database took the rest
    done = run_cli(_add(samples.clips[1], "墓区", db, media_dir), cwd=tmp_path)
    (disk / "filler").unlink()
    line = one_line_error(done)
    assert "full" in line, line
    assert _count(db, "archive_entries") == 1 and _missing_files(db, media_dir) == []
    fault_row.append(FaultRow("db disk full: archive add", "refused, 1 row kept", line.removeprefix("error: ")))


def test_publish_into_a_corrupt_database(samples: SampleSet, tmp_path: Path, fault_row: list[FaultRow]) -> None:
    db = tmp_path / "site.db"
    db.write_bytes(b"not a database " * 512)
    done = run_cli(_add(samples.clips[0], "大门", db, tmp_path / "media"), cwd=tmp_path)
    line = one_line_error(done)
    assert "not a database" in line, line
    assert db.read_bytes() == b"not a database " * 512  # never "repaired" by starting a new one over it
    fault_row.append(FaultRow("db corrupt: archive add", "refused, file untouched", line.removeprefix("error: ")))


def test_database_removed_while_the_store_is_open(
    samples: SampleSet, tmp_path: Path, fault_row: list[FaultRow]
) -> None:
    db, media_dir = tmp_path / "site.db", tmp_path / "media"
    store = ArchiveStore(f"sqlite:///{db}", media_dir)
    try:
        publish_media(store, kind="tour", title="大门", media_path=samples.clips[0], duration_ms=3000)
        for path in tmp_path.glob("site.db*"):
            path.unlink()  # a cleanup script, or a wrong rm, while the site keeps running
        with pytest.raises(ArchiveError) as refused:
            publish_media(store, kind="tour", title="墓区", media_path=samples.clips[1], duration_ms=3000)
    finally:
        store.dispose()
    message = str(refused.value)
    assert "\n" not in message and "removed" in message, message
    assert not db.exists() or _count(db, "archive_entries") == 0
    fault_row.append(FaultRow("db removed: publish in a live store", "refused", message))


def test_a_burst_of_writes_against_a_held_lock_then_a_free_one(tmp_path: Path, fault_row: list[FaultRow]) -> None:
    db = tmp_path / "site.db"
    store = ArchiveStore(f"sqlite:///{db}", tmp_path / "media")
    try:
        make_event(store, "清明祭英烈仪式")
        before = _count(db, "events"), _count(db, "audit_log")

        def attempt(k: int) -> str:
            try:
                make_event(store, f"献花 {k}")
            except ArchiveError as exc:
                return str(exc)
            return "written"

        with exclusive_lock(db), ThreadPoolExecutor(max_workers=BURST) as pool:
            refused = list(pool.map(attempt, range(BURST)))
        assert all("locked" in outcome and "\n" not in outcome for outcome in refused), refused
        assert (_count(db, "events"), _count(db, "audit_log")) == before
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            written = list(pool.map(attempt, range(BURST * 4)))
        assert written == ["written"] * (BURST * 4)
        assert (_count(db, "events"), _count(db, "audit_log")) == (before[0] + BURST * 4, before[1] + BURST * 4)
        assert store.revision() == 1 + BURST * 4
    finally:
        store.dispose()
    fault_row.append(
        FaultRow(
            f"db burst: {BURST} writers",
            f"locked: {BURST} refused, 0 rows; free: {BURST * 4} of {BURST * 4} rows",
            refused[0],
        )
    )
