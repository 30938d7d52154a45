"""Corrupt or hostile media are refused by ``tour check`` and at publish: one line, exit 1, under a 1 GiB cap."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from streamkit.media.samples import SampleSet
from tests.faults import hostile
from tests.faults.conftest import MEMORY_CAP_BYTES, Capped, FaultRow, one_line_error, run_capped
from tests.tours.conftest import write_spec

pytestmark = pytest.mark.faults

# name on disk, how it is made from a good clip, where a tour uses it, and the words the refusal must hold
HOSTILE: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "truncated.mp4": (hostile.truncated, "clip", "not a readable media file"),
    "absurd.mp4": (hostile.absurd_duration, "clip", "duration"),
    "empty.wav": (lambda _: b"", "narration", "file is empty"),
    "bomb.jpg": (lambda _: hostile.jpeg_bomb(), "photo", "too large"),
    "ztxt.png": (lambda _: hostile.png_with_huge_ztxt(), "photo", "too large"),
}

SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25"}}
stops:
  - title: 陵园大门
    {use}
"""
USES = {
    "clip": "clip: {{path: {path}}}",
    "narration": "clip: {{path: clips/memorial-gate.mp4}}\n    narration: {{path: {path}}}",
    "photo": "photos: {{paths: [{path}], seconds: 2}}",
}


def _write(samples: SampleSet, folder: Path, name: str) -> Path:
    make = HOSTILE[name][0]
    path = folder / name
    path.write_bytes(make(samples.clips[0].read_bytes()))
    return path


def _site(tmp_path: Path) -> tuple[list[str], Path]:
    db = tmp_path / "site.db"
    return ["--db", f"sqlite:///{db}", "--media-dir", str(tmp_path / "media")], db


def _entries(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM archive_entries").fetchone()[0])


def _figure(done: Capped, line: str, name: str) -> str:
    cause = line.split(f"{name}: ", 1)[-1]
    return f"peak {done.peak_rss_mib:.0f} of {MEMORY_CAP_BYTES >> 20} MiB; {cause}"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_tour_check_refuses_hostile_media_in_one_line(
    name: str, samples: SampleSet, tmp_path: Path, fault_row: list[FaultRow]
) -> None:
    path = _write(samples, tmp_path, name)
    use = USES[HOSTILE[name][1]].format(path=path)
    spec = write_spec(tmp_path, SPEC.format(root=samples.folder, use=use))
    done = run_capped(["tour", "check", str(spec)], cwd=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    line = one_line_error(done)
    assert line.startswith("error: tour.yaml:") and f"{name}: " in line and HOSTILE[name][2] in line, line
    fault_row.append(FaultRow(f"tour check: {name} ({path.stat().st_size} B)", "refused", _figure(done, line, name)))


@pytest.mark.parametrize("name", ["truncated.mp4", "absurd.mp4"])
def test_publish_refuses_hostile_media(
    name: str, samples: SampleSet, tmp_path: Path, fault_row: list[FaultRow]
) -> None:
    path = _write(samples, tmp_path, name)
    site, db = _site(tmp_path)
    # with the duration given the CLI does not probe: the refusal must come from the publish itself
    done = run_capped(["archive", "add", str(path), "--title", "陵园", "--duration-ms", "2000", *site], cwd=tmp_path)
    line = one_line_error(done)
    assert HOSTILE[name][2] in line, line
    assert _entries(db) == 0
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))
    fault_row.append(FaultRow(f"archive add: {name}", "refused, 0 rows", _figure(done, line, name)))


@pytest.mark.parametrize("name", ["bomb.jpg", "ztxt.png"])
def test_publish_refuses_a_hostile_poster(
    name: str, samples: SampleSet, tmp_path: Path, fault_row: list[FaultRow]
) -> None:
    poster = _write(samples, tmp_path, name)
    site, db = _site(tmp_path)
    args = ["archive", "add", str(samples.clips[0]), "--title", "陵园", "--poster", str(poster), *site]
    done = run_capped(args, cwd=tmp_path)
    line = one_line_error(done)
    assert f"{name}: " in line and HOSTILE[name][2] in line, line
    assert _entries(db) == 0
    fault_row.append(FaultRow(f"archive add --poster {name}", "refused, 0 rows", _figure(done, line, name)))
