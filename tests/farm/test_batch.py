"""``tour render A.yaml B.yaml … --farm --wait``: each good spec rendered by real workers, the broken one fails
alone, the summary says which."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.media.samples import SampleSet
from tests.conftest import run_cli
from tests.farm.conftest import Farm
from tests.tours.test_batch import assert_rendered, batch_specs

pytestmark = pytest.mark.slow


def test_a_farm_batch_renders_the_good_specs_and_names_the_broken_one(
    farm: Farm, samples: SampleSet, tmp_path: Path
) -> None:
    specs = batch_specs(tmp_path / "specs", samples.folder)
    farm.start("one")
    out = tmp_path / "out"
    argv = ["--config", str(farm.config), "tour", "render", *map(str, specs), "-o", str(out), "--farm", "--wait"]
    done = run_cli(argv)
    assert done.returncode == 1, done.stderr
    assert_rendered(out / "a-gate.mp4")
    assert_rendered(out / "c-wreath.mp4")
    lines = done.stdout.splitlines()
    table = lines[lines.index("batch of 3: 2 rendered, 1 failed") + 1 :]
    assert [line.split()[0] for line in table] == ["rendered", "failed", "rendered"]
    assert "on the farm as" in table[0] and "no-such-clip.mp4" in table[1]
    assert not list(out.glob("b-broken*"))


def test_a_farm_batch_without_wait_lists_what_it_enqueued(farm: Farm, samples: SampleSet, tmp_path: Path) -> None:
    specs = batch_specs(tmp_path / "specs", samples.folder)
    argv = ["--config", str(farm.config), "tour", "render", *map(str, specs), "-o", str(tmp_path / "out"), "--farm"]
    done = run_cli(argv)
    assert done.returncode == 1, done.stderr
    table = done.stdout.splitlines()[-3:]
    assert [line.split()[0] for line in table] == ["enqueued", "failed", "enqueued"]
    shown = run_cli(["--config", str(farm.config), "farm", "status"])
    enqueued = [line.rpartition("farm render ")[2] for line in table if line.startswith("  enqueued")]
    assert len(enqueued) == 2 and all(f"{render_id} queued" in shown.stdout for render_id in enqueued)
