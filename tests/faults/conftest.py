"""Fault fixtures: a small file system that fills up, a memory-capped CLI, and the summary table of the run."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
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
        terminalreporter.write_line(f"{row.scenario:<{widths[0]}}  {row.outcome:<{widths[1]}}  {row.figure}")


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


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


@dataclass(frozen=True)
class Capped:
    """What a memory-capped command did: its exit code, its output, and its peak resident memory."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss_mib: float


def run_capped(args: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> Capped:
    """``python -m streamkit ARGS`` with its address space (and its children's) capped at 1 GiB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "streamkit", *args],
            cwd=cwd,
            env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=out,
            stderr=err,
            preexec_fn=_cap_memory,
        )
        watchdog = threading.Timer(timeout, child.kill)  # a hung command fails the test instead of the run
        watchdog.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)  # wait4, not wait: it also reports the child's peak memory
        finally:
            watchdog.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = (out.read().decode(), err.read().decode())
    return Capped(child.returncode, *text, peak_rss_mib=usage.ru_maxrss / 1024)


def one_line_error(done: Capped | subprocess.CompletedProcess[str]) -> str:
    """The single ``error: …`` line a refused command printed (asserting there is exactly one, no traceback)."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in lines[0], done.stderr
    return lines[0]
