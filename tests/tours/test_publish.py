"""`tour render --publish` puts the tour on the archive site with its poster, captions and chapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.archive.store import ArchiveStore
from streamkit.media.samples import SampleSet
from tests.conftest import run_cli
from tests.tours.conftest import write_spec

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
title: {{lines: [陵园导览, 清明], duration: 1}}
stops:
  - title: 英烈墓区
    photos: {{paths: [photos/tomb-001.jpg], seconds: 2}}
    captions: "向英烈致敬。"
  - title: 陵园大门
    clip: {{path: clips/memorial-gate.mp4, end: 2}}
"""


def test_render_publish_adds_one_archive_entry_with_sidecars(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC.format(root=samples.folder))
    out = tmp_path / "out" / "tour.mp4"
    env = {
        "STREAMKIT_WEB__DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}",
        "STREAMKIT_WEB__MEDIA_DIR": str(tmp_path / "media"),
    }
    done = run_cli(["tour", "render", str(spec), "-o", str(out), "--publish", "--campaign", "清明2026"], env=env,
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "published as archive entry 1: 陵园导览 清明" in done.stdout
    again = run_cli(["tour", "render", str(spec), "-o", str(out), "--publish"], env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr

    store = ArchiveStore(env["STREAMKIT_WEB__DATABASE_URL"], tmp_path / "media")
    try:
        page = store.list_entries()
        assert len(page.items) == 1  # the same render published twice is one entry
        entry = page.items[0]
        assert entry.kind == "tour" and entry.title == "陵园导览 清明"
        assert 4000 <= entry.duration_ms <= 6000
        assert entry.poster_file and entry.captions_file and entry.chapters_file
        chapters = (tmp_path / "media" / entry.chapters_file).read_text(encoding="utf-8")
        assert "英烈墓区" in chapters and "陵园大门" in chapters
        assert "英烈墓区、陵园大门" in entry.description
    finally:
        store.dispose()


def test_preview_is_not_published(samples: SampleSet, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC.format(root=samples.folder))
    done = run_cli(["tour", "render", str(spec), "-o", str(tmp_path / "p.mp4"), "--preview", "--publish"], cwd=tmp_path)
    assert done.returncode == 2
    assert "a preview is not for the archive" in done.stderr
    assert not (tmp_path / "p.mp4").exists()
