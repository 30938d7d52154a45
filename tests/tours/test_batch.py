"""``tour render A.yaml B.yaml …``: every spec checked first, a broken one fails alone, one summary at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import ConfigError
from streamkit.media.samples import SampleSet
from streamkit.tours.batch import BatchItem, BatchOutcome, plan_batch, run_batch, summary
from tests.conftest import run_cli
from tests.tours.conftest import ffprobe_json, write_spec

SMALL_SPEC = """\
version: 1
media_root: {root}
output:
  size: 320x180
  fps: "25"
  preset: veryfast
stops:
  - title: {title}
    clip: {{path: clips/{clip}, end: 1.5}}
  - title: 松柏小径
    clip: {{path: clips/cypress-path.mp4, end: 1}}
"""


def batch_specs(folder: Path, media_root: Path) -> list[Path]:
    """Two small tours that render and, between them, one whose clip does not exist."""
    tours = [("a-gate", "陵园大门", "memorial-gate.mp4"), ("b-broken", "缺失", "no-such-clip.mp4"),
             ("c-wreath", "献花", "wreath-vfr.mp4")]  # fmt: skip
    return [
        write_spec(folder, SMALL_SPEC.format(root=media_root, title=title, clip=clip), f"{name}.yaml")
        for name, title, clip in tours
    ]


def assert_rendered(path: Path) -> None:
    streams = ffprobe_json(path, "-show_streams")["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (320, 180)


@pytest.mark.slow
def test_a_batch_renders_each_good_spec_and_the_broken_one_fails_alone(samples: SampleSet, tmp_path: Path) -> None:
    specs = batch_specs(tmp_path / "specs", samples.folder)
    out = tmp_path / "out"
    done = run_cli(["tour", "render", *map(str, specs), "-o", str(out), "--hls", str(tmp_path / "hls")])
    assert done.returncode == 1, done.stderr
    assert_rendered(out / "a-gate.mp4")
    assert_rendered(out / "c-wreath.mp4")
    assert (out / "a-gate.jpg").is_file() and (tmp_path / "hls" / "c-wreath" / "master.m3u8").is_file()
    assert not list(out.glob("b-broken*")) and not list(out.glob(".*partial*"))
    lines = done.stdout.splitlines()
    table = lines[lines.index("batch of 3: 2 rendered, 1 failed") + 1 :]
    assert [line.split()[0] for line in table] == ["rendered", "failed", "rendered"]
    assert "no-such-clip.mp4" in table[1] and str(specs[1]) in table[1]
    assert "Traceback" not in done.stderr


def test_every_spec_is_checked_before_any_render(samples: SampleSet, tmp_path: Path) -> None:
    specs = batch_specs(tmp_path / "specs", samples.folder)
    items = plan_batch(specs, tmp_path / "out", None)
    rendered: list[Path] = []

    def render_one(item: BatchItem) -> tuple[str, str]:
        # by the time the first render starts, the broken spec (after it) has already been found out
        rendered.append(item.spec)
        return "rendered", "ok"

    outcomes = run_batch(items, render_one)  # type: ignore[arg-type]
    assert rendered == [specs[0], specs[2]]
    assert [o.status for o in outcomes] == ["rendered", "failed", "rendered"]


def test_a_render_that_fails_fails_only_its_spec(samples: SampleSet, tmp_path: Path) -> None:
    specs = batch_specs(tmp_path / "specs", samples.folder)
    items = plan_batch([specs[0], specs[2]], tmp_path / "out", tmp_path / "hls")
    assert items[1].hls_dir == tmp_path / "hls" / "c-wreath"

    def render_one(item: BatchItem) -> tuple[str, str]:
        if item.spec == specs[0]:
            raise ConfigError.single(item.spec, "the disk\nis full")
        return "rendered", "ok"

    outcomes = run_batch(items, render_one)  # type: ignore[arg-type]
    assert [o.status for o in outcomes] == ["failed", "rendered"]
    assert "\n" not in outcomes[0].detail and "the disk is full" in outcomes[0].detail
    assert summary(outcomes)[0] == "batch of 2: 1 rendered, 1 failed"


def test_two_specs_of_the_same_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="same name"):
        plan_batch([tmp_path / "a" / "tour.yaml", tmp_path / "b" / "tour.yaml"], tmp_path / "out", None)


def test_summary_lines_say_where_or_why() -> None:
    item = BatchItem(Path("specs/a.yaml"), Path("out/a.mp4"), None)
    assert BatchOutcome(item, "rendered", "3.0 s").line() == "rendered specs/a.yaml -> out/a.mp4: 3.0 s"
    assert BatchOutcome(item, "failed", "bad").line() == "failed   specs/a.yaml: bad"
