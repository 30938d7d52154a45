"""The ffmpeg engine as executor: the files its commands read are written where the render keeps its work."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from streamkit.media.commands import FILTER_SCRIPT_THRESHOLD
from streamkit.media.samples import SampleSet
from streamkit.tours.render import RenderOptions, render_tour
from tests.tours.conftest import write_spec

MANY_PHOTOS_SPEC = """\
version: 1
media_root: {root}
output: {{size: 320x180, fps: "25", preset: ultrafast}}
defaults: {{transition: {{name: cut}}}}
stops:
  - title: 英烈墓区
    photos: {{paths: [{paths}], seconds: 0.4}}
"""


@pytest.mark.slow
def test_a_graph_too_long_for_argv_is_a_script_the_executor_writes_into_the_work_folder(
    samples: SampleSet, tmp_path: Path
) -> None:
    photos = [p.relative_to(samples.folder).as_posix() for p in samples.photos]
    paths = ", ".join(photos[k % len(photos)] for k in range(240))
    spec = write_spec(tmp_path, MANY_PHOTOS_SPEC.format(root=samples.folder, paths=paths))
    console = Console(record=True, width=100_000)
    options = RenderOptions(show_progress=False, dry_run=True, chunk_seconds=600)  # one graph
    render_tour(spec, tmp_path / "out" / "tour.mp4", options, console=console)
    *commands, kept = console.export_text().strip().splitlines()
    folder = Path(kept.split(" kept in ")[1].split(" (")[0])
    measure, render = (shlex.split(line) for line in commands)
    script = Path(render[render.index("-filter_complex_script") + 1])
    assert script.parent == folder and "-filter_complex" not in render
    graph = script.read_text(encoding="utf-8")
    assert len(graph.encode()) >= FILTER_SCRIPT_THRESHOLD and graph.endswith("[aout]")
    assert "-filter_complex" in measure  # the sound alone is short enough for argv
    shutil.rmtree(folder)
