"""Fault fixtures: a small file system that fills up, a memory-capped CLI, and the summary table of the run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

MEMORY_CAP_BYTES = 1 << 30
SmallFs = Callable[[str, int], Path]


@dataclass(frozen=True)
class FaultRow:
    scenario: str
    outcome: str
    figure: str


_ROWS: list[FaultRow] = []
_TEST_FOLDER = re.compile(r"/\S*?/pytest-\d+/[^/\s]+/")  # a test's own tmp_path says nothing in the table
FIGURE_WIDTH = 100


@pytest.fixture
def fault_row() -> Iterator[list[FaultRow]]:
    """Rows a test adds for the summary table; kept only when the test gets to add them."""
    rows: list[FaultRow] = []
    yield rows
    _ROWS.extend(rows)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _ROWS:
        return
    widths = [max(len(getattr(r, name)) for r in _ROWS) for name in ("scenario", "outcome")]
    terminalreporter.section("faults: scenario, outcome, figure")
    for row in _ROWS:
        figure = _TEST_FOLDER.sub("", row.figure)[:FIGURE_WIDTH]
        terminalreporter.write_line(f"{row.scenario:<{widths[0]}}  {row.outcome:<{widths[1]}}  {figure}")


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[SmallFs]:
    """A factory of tmpfs mounts of a given size under ``tmp_path``, unmounted afterwards."""
    mounted: list[Path] = []

    def mount(name: str, size_bytes: int) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "tmpfs", str(point)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or done.returncode}); needs root")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount(point: Path, mode: str) -> None:
    """Turn a small file system read-only (``ro``) or writable again (``rw``)."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(point)], check=True)


# Caps the address space, runs the command, writes its peak resident memory. A small process in between, because a
# child forked straight from pytest would report pytest's own size as its peak (Linux keeps it across exec).
_LAUNCHER = """
import resource, subprocess, sys
cap, report = int(sys.argv[1]), sys.argv[2]
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
code = subprocess.call(sys.argv[3:])
with open(report, "w") as handle:
    handle.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


@dataclass(frozen=True)
class Capped:
    """What a memory-capped command did: its exit code, its output, and its peak resident memory."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss_mib: float


def run_capped(args: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> Capped:
    """``python -m streamkit ARGS`` with its address space (and its children's) capped at 1 GiB."""
    report = cwd / ".peak-rss"
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(MEMORY_CAP_BYTES), str(report), sys.executable, "-m", "streamkit", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    peak_kib = int(report.read_text())
    report.unlink()
    return Capped(done.returncode, done.stdout, done.stderr, peak_rss_mib=peak_kib / 1024)


def one_line_error(done: Capped | subprocess.CompletedProcess[str]) -> str:
    """The single ``error: …`` line a refused command printed (asserting there is exactly one, no traceback)."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in lines[0], done.stderr
    return lines[0]
