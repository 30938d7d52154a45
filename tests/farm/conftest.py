"""Farm fixtures: a private Redis, real ``streamkit farm worker`` processes, and the small tour rendered locally
once as the reference a farm render must match frame for frame."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from rich.console import Console

from streamkit.config.settings import FarmSettings, load_settings
from streamkit.farm import queue
from streamkit.farm.queue import RenderRecord, RenderState
from streamkit.farm.submit import submit_render
from streamkit.media.samples import SampleSet
from streamkit.tours.render import RenderOptions, RenderResult, render_tour
from tests.conftest import ROOT
from tests.tours.conftest import MAIN_SPEC, TRICKY, main_render, write_spec

__all__ = ["main_render"]  # the one-graph render of the same tour, for the farm's whole-tour job

CHUNK_SECONDS = 3.0  # the tour in several chunks
OPTIONS = RenderOptions(show_progress=False, chunk_seconds=CHUNK_SECONDS)
POLL_SECONDS = 0.05
MAX_POLLS = 2400  # two minutes of polling: a test that waits longer has hung


def tour_spec(folder: Path, media_root: Path) -> Path:
    return write_spec(folder, MAIN_SPEC.format(root=media_root, tricky=TRICKY.replace("\\", "\\\\")))


@pytest.fixture(scope="module")
def local_render(samples: SampleSet, tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The reference: the tour rendered in this process, in chunks of the size the farm uses."""
    folder = tmp_path_factory.mktemp("local-tour")
    return render_tour(tour_spec(folder, samples.folder), folder / "out" / "tour.mp4", OPTIONS)


def session_pids(session: int) -> list[int]:
    """Every process of a session (a worker, its work-horse, the horse's ffmpeg, its scheduler)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after the name: state, ppid, pgrp, session
            pids.append(int(stat.parent.name))
    return pids


def processes_naming(text: str) -> list[int]:
    """The processes whose command line contains ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


def poll_until(condition: Callable[[], object], what: str) -> None:
    for _ in range(MAX_POLLS):
        if condition():
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"{what}: not within {MAX_POLLS * POLL_SECONDS:.0f} s")


@dataclass
class Farm:
    """A farm on the private Redis with its own shared work folder, and the workers a test starts."""

    config: Path
    folder: Path
    connection: redis.Redis
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def settings(self) -> FarmSettings:
        return load_settings(self.config).farm

    def start(self, *names: str) -> None:
        for name in names:
            argv = [sys.executable, "-m", "streamkit", "--config", str(self.config), "farm", "worker", "--name", name]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            with (self.folder / f"worker-{name}.log").open("wb") as log:
                self.workers[name] = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, env=env)

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal every process of the worker's session: its machine froze (SIGSTOP) or died (SIGKILL)."""
        for pid in session_pids(self.workers[name].pid):
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(pid, sig)

    def submit(self, spec: Path, output: Path) -> RenderRecord:
        return submit_render(spec, output, OPTIONS, self.settings, Console(stderr=True))

    def wait(self, render_id: str) -> RenderState:
        polls = iter(range(MAX_POLLS))

        def pause(seconds: float) -> None:
            if next(polls, None) is None:
                pytest.fail(f"farm render {render_id} still running after {MAX_POLLS} polls")
            time.sleep(POLL_SECONDS)

        return queue.wait(self.connection, render_id, pause=pause)

    def state(self, render_id: str) -> RenderState:
        return queue.render_state(self.connection, render_id)

    def stop(self) -> None:
        for name, process in self.workers.items():
            self.kill(name)
            process.wait(timeout=30)


@pytest.fixture
def farm(redis_url: str, tmp_path: Path) -> Iterator[Farm]:
    folder = tmp_path / "farm"
    folder.mkdir()
    config = folder / "streamkit.yaml"
    # retries at once: a retry that waits an interval waits for RQ's scheduler, and the lock of the one in a killed
    # worker only expires after a minute (see docs/farm.md)
    config.write_text(
        f"version: 1\nfarm:\n  redis_url: {redis_url}\n  work_dir: {folder / 'work'}\n"
        "  heartbeat_seconds: 1\n  retry_intervals: [0]\n",
        encoding="utf-8",
    )
    with redis.Redis.from_url(redis_url) as connection:
        running = Farm(config, folder, connection)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def own_samples(samples: SampleSet, tmp_path: Path) -> Path:
    """A copy of the sample media this test may damage."""
    return Path(shutil.copytree(samples.folder, tmp_path / "media"))
