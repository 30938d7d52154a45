"""The disk fills during a tour render, a recording remux and a publish: one line, the previous file untouched, no
partial file under a final name, no archive row pointing at a missing file."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from streamkit.ceremony.publish import prepare_recording
from streamkit.errors import MediaError
from streamkit.media.samples import SampleSet
from tests.conftest import run_cli
from tests.faults.conftest import FaultRow, SmallFs, one_line_error
from tests.tours.conftest import write_spec

pytestmark = pytest.mark.faults

PAGE = 4096
SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
title: {{lines: [陵园导览], duration: 1}}
stops:
  - title: 英烈墓区
    photos: {{paths: [photos/tomb-001.jpg], seconds: 2}}
    captions: "向英烈致敬。"
  - title: 陵园大门
    clip: {{path: clips/memorial-gate.mp4, end: 2}}
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pages(size: int) -> int:
    return -(-size // PAGE) * PAGE


def _says_disk_full(message: str) -> bool:
    """ffmpeg's hint or the atomic writer's words for a full disk."""
    return "the disk is full" in message or "out of disk space" in message


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".partial" in p.name)


def _rows_and_files(db: Path, media_dir: Path) -> tuple[int, list[str]]:
    """How many entries the archive has, and the files they name that are missing."""
    with sqlite3.connect(db) as connection:
        names = [row[0] for row in connection.execute("SELECT media_file FROM archive_entries")]
    return len(names), [n for n in names if not (media_dir / n).is_file()]


def test_tour_render_on_a_full_disk(
    samples: SampleSet, tmp_path: Path, small_fs: SmallFs, fault_row: list[FaultRow]
) -> None:
    disk = small_fs("out", 64 * 1024)
    previous = disk / "tour.mp4"
    previous.write_bytes(b"an earlier render " * 1000)  # 18 kB
    before = _sha(previous)
    spec = write_spec(tmp_path, SPEC.format(root=samples.folder))
    env = {
        "STREAMKIT_WEB__DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}",
        "STREAMKIT_WEB__MEDIA_DIR": str(tmp_path / "media"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    done = run_cli(["tour", "render", str(spec), "-o", str(previous), "--publish"], cwd=tmp_path, env=env)
    line = one_line_error(done)
    assert _says_disk_full(line), line
    assert _sha(previous) == before
    assert _partials(disk) == []
    assert not (tmp_path / "site.db").exists() or _rows_and_files(tmp_path / "site.db", tmp_path / "media")[0] == 0
    left = sorted(p.name for p in disk.iterdir())
    fault_row.append(
        FaultRow(
            "disk full: tour render --publish",
            "refused, previous kept, 0 rows",
            f"left {left}; {line.rsplit(': ', 1)[-1]}",
        )
    )


def test_recording_remux_on_a_full_disk(
    samples: SampleSet, tmp_path: Path, small_fs: SmallFs, fault_row: list[FaultRow]
) -> None:
    mkv = tmp_path / "recording.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(samples.clips[0]), "-c", "copy", str(mkv)], check=True)
    earlier = b"an earlier remux " * 500
    disk = small_fs("recordings", _pages(mkv.stat().st_size) + _pages(len(earlier)) + PAGE)
    recording = disk / mkv.name
    shutil.copyfile(mkv, recording)
    previous = disk / "recording.mp4"
    previous.write_bytes(earlier)
    with pytest.raises(MediaError) as refused:
        prepare_recording(recording)
    message = str(refused.value)
    assert "\n" not in message and _says_disk_full(message), message
    assert previous.read_bytes() == earlier
    assert _partials(disk) == []
    assert not (disk / "recording.jpg").exists()
    free = shutil.disk_usage(disk).free
    fault_row.append(FaultRow("disk full: recording remux", "refused, previous kept", f"{free} B free after cleanup"))


def test_publish_on_a_full_disk(
    samples: SampleSet, tmp_path: Path, small_fs: SmallFs, fault_row: list[FaultRow]
) -> None:
    small, large = sorted(samples.clips[:3], key=lambda p: p.stat().st_size)[::2]
    media_dir = small_fs("media", _pages(small.stat().st_size) + 2 * PAGE)
    db = tmp_path / "site.db"
    site = ["--db", f"sqlite:///{db}", "--media-dir", str(media_dir)]
    first = run_cli(["archive", "add", str(small), "--title", "大门", *site], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (placed,) = [p for p in media_dir.rglob("media.*")]
    before = _sha(placed)
    done = run_cli(["archive", "add", str(large), "--title", "墓区", *site], cwd=tmp_path)
    line = one_line_error(done)
    assert _says_disk_full(line), line
    assert _sha(placed) == before
    assert _partials(media_dir) == []
    assert _rows_and_files(db, media_dir) == (1, [])
    fault_row.append(FaultRow("disk full: archive add", "refused, 1 row kept", line.removeprefix("error: ")))
