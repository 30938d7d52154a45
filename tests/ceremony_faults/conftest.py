"""Fault scenarios against a real headless OBS: one OBS for this folder, scenes applied once, a table at the end.

Each scenario adds a row (scenario, outcome, off-air seconds, as-run lines lost / duplicated); the table is printed
after the run so the figures sit beside the pass/fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from streamkit.media.samples import SampleSet
from streamkit.obs.launcher import LaunchState
from tests.conftest import ROOT, run_cli
from tests.obs.conftest import headless_obs, nginx_rtmp  # noqa: F401 - the real components, as for tests/obs
from tests.obs.test_real_obs import env_for


@dataclass(frozen=True)
class Row:
    scenario: str
    outcome: str
    off_air_s: float | None = None
    lost: int | None = None
    duplicated: int | None = None


ROWS: list[Row] = []


@pytest.fixture(scope="module")
def applied(headless_obs: LaunchState, samples: SampleSet, tmp_path_factory: pytest.TempPathFactory) -> LaunchState:  # noqa: F811
    done = run_cli(
        ["obs", "apply", str(ROOT / "scenes")], env=env_for(headless_obs, samples, tmp_path_factory.mktemp("a"))
    )
    assert done.returncode == 0, done.stderr
    return headless_obs


@pytest.fixture
def report() -> list[Row]:
    """Where a scenario puts its row for the table."""
    return ROWS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return

    def cell(value: object) -> str:
        return "-" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)

    header = ("scenario", "outcome", "off air s", "lines lost", "lines duplicated")
    lines = [header, *((r.scenario, r.outcome, cell(r.off_air_s), cell(r.lost), cell(r.duplicated)) for r in ROWS)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    terminalreporter.section("ceremony faults")
    for line in lines:
        terminalreporter.write_line("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)))
