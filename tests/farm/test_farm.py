"""The render farm against a real private Redis and real worker processes: a farm render is the local render,
bit for bit, whatever happens to its workers; a real failure fails it once; cancel leaves nothing running."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from rq.job import Job

from streamkit.farm.queue import FarmError, cancel, render_ids
from streamkit.farm.workdir import WorkFolder
from streamkit.media.publish import partial_path
from streamkit.tours.render import RenderResult
from streamkit.tours.timeline import plan_chunks
from tests.conftest import run_cli
from tests.farm.conftest import CHUNK_SECONDS, MAX_POLLS, POLL_SECONDS, Farm, poll_until, processes_naming, tour_spec
from tests.tours.conftest import MainRender, write_spec

pytestmark = pytest.mark.slow


def frame_hashes(path: Path) -> list[str]:
    """The MD5 of every decoded picture and sound frame (timestamps and sizes included)."""
    argv = ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-map", "0:a", "-f", "framemd5", "-"]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if not line.startswith("#")]


def started_chunk(farm: Farm, render_id: str) -> Job | None:
    """A chunk whose step has begun (its attempt counted) and not ended."""
    jobs = Job.fetch_many(list(farm.state(render_id).record.chunks), connection=farm.connection)
    running = (job for job in jobs if job is not None and job.get_status() == "started" and job.meta.get("attempts"))
    return next(running, None)


def freeze_mid_chunk(farm: Farm, worker: str, render_id: str) -> Job:
    """Freeze the worker (SIGSTOP) while it runs a chunk: the chunk that is then still running."""
    for _ in range(MAX_POLLS):
        if started_chunk(farm, render_id) is not None:
            farm.kill(worker, signal.SIGSTOP)
            running = started_chunk(farm, render_id)
            if running is not None:
                return running
            farm.kill(worker, signal.SIGCONT)  # it finished that chunk just before: catch the next one
        time.sleep(POLL_SECONDS)
    pytest.fail(f"no chunk of {render_id} seen running")


def test_a_farm_render_is_the_local_render_and_a_rerun_skips_its_chunks(
    farm: Farm, local_render: RenderResult, tmp_path: Path
) -> None:
    spec = local_render.output.parent.parent / "tour.yaml"
    farm.start("one", "two")
    first = farm.submit(spec, tmp_path / "farm" / "tour.mp4")
    chunks = len(plan_chunks(local_render.timeline, round(CHUNK_SECONDS * local_render.timeline.fps)))
    assert chunks > 2 and (first.skipped, len(first.chunks)) == (0, chunks)
    state = farm.wait(first.id)
    assert frame_hashes(tmp_path / "farm" / "tour.mp4") == frame_hashes(local_render.output)
    assert {step.worker for step in state.steps} <= {"one", "two"}
    assert all(step.progress == 1.0 and step.attempts == 1 for step in state.steps)
    assert (tmp_path / "farm" / "tour.jpg").is_file() and (tmp_path / "farm" / "tour.srt").is_file()
    assert not Path(first.work).exists()

    again = farm.submit(spec, tmp_path / "again" / "tour.mp4")
    assert (again.skipped, again.chunks) == (chunks, ())
    farm.wait(again.id)
    assert frame_hashes(tmp_path / "again" / "tour.mp4") == frame_hashes(local_render.output)

    shown = run_cli(["--config", str(farm.config), "farm", "status"])
    assert shown.returncode == 0, shown.stderr
    assert f"{first.id} finished" in shown.stdout and f"{again.id} finished" in shown.stdout
    assert f"{chunks} chunks finished before" in shown.stdout


def test_a_worker_lost_mid_chunk_is_replaced_and_the_output_is_the_same(
    farm: Farm, local_render: RenderResult, tmp_path: Path
) -> None:
    spec = local_render.output.parent.parent / "tour.yaml"
    farm.start("doomed")
    record = farm.submit(spec, tmp_path / "tour.mp4")
    lost = freeze_mid_chunk(farm, "doomed", record.id)
    assert lost.worker_name == "doomed"
    farm.kill("doomed")
    farm.start("survivor")
    farm.wait(record.id)
    assert frame_hashes(tmp_path / "tour.mp4") == frame_hashes(local_render.output)
    (again,) = [step for step in farm.state(record.id).steps if step.job == lost.id]
    assert (again.worker, again.attempts) == ("survivor", 2)


def test_a_chunk_that_fails_for_real_fails_the_render_once(farm: Farm, own_samples: Path, tmp_path: Path) -> None:
    record = farm.submit(tour_spec(tmp_path / "spec", own_samples), tmp_path / "tour.mp4")
    (own_samples / "clips" / "cypress-path.mp4").write_bytes(b"not a video any more")
    farm.start("one", "two")
    with pytest.raises(FarmError, match=r"cypress-path\.mp4") as failed:
        farm.wait(record.id)
    assert "\n" not in str(failed.value)
    state = farm.state(record.id)
    broken = [step for step in state.steps if step.status == "failed"]
    assert broken and all(step.attempts == 1 for step in broken)  # an ffmpeg error is not retried
    assert state.steps[-1].status == "canceled"  # the join never ran, nor any step still waiting
    assert not (tmp_path / "tour.mp4").exists() and not partial_path(tmp_path / "tour.mp4").exists()
    shown = run_cli(["--config", str(farm.config), "farm", "status", record.id])
    assert shown.returncode == 0 and f"{record.id} failed" in shown.stdout
    assert "cypress-path.mp4" in shown.stdout and "attempts 1" in shown.stdout


def test_cancel_stops_the_running_chunks_and_a_rerun_keeps_the_finished_ones(
    farm: Farm, local_render: RenderResult, tmp_path: Path
) -> None:
    spec = local_render.output.parent.parent / "tour.yaml"
    farm.start("one", "two")
    record = farm.submit(spec, tmp_path / "tour.mp4")
    poll_until(lambda: processes_naming(f"{record.work}/chunk-"), "a chunk's ffmpeg runs")
    state = cancel(farm.connection, record.id)
    assert processes_naming(record.work) == []  # cancel returns once they ended
    assert not Path(record.work).exists() and not partial_path(tmp_path / "tour.mp4").exists()
    assert state.status in ("stopped", "canceled") and not (tmp_path / "tour.mp4").exists()
    chunks = WorkFolder(farm.settings.work_dir)
    finished = len(list(chunks.root.glob("chunks/*.mp4")))
    assert not list(chunks.root.glob("chunks/.*"))

    rerun = farm.submit(spec, tmp_path / "tour.mp4")
    assert rerun.skipped == finished
    farm.wait(rerun.id)
    assert frame_hashes(tmp_path / "tour.mp4") == frame_hashes(local_render.output)


def test_a_tour_shorter_than_two_chunks_renders_whole_from_the_command_line(
    farm: Farm, main_render: MainRender, tmp_path: Path
) -> None:
    farm.start("one")
    out = tmp_path / "tour.mp4"
    done = run_cli(
        ["--config", str(farm.config), "tour", "render", str(main_render.spec), "-o", str(out), "--farm", "--wait"]
    )
    assert done.returncode == 0, done.stderr
    assert "0 chunks enqueued" in done.stdout and f"{out}: rendered on the farm" in done.stdout
    assert frame_hashes(out) == frame_hashes(main_render.output)
    assert (tmp_path / "tour.jpg").is_file() and (tmp_path / "tour.json").is_file()


def test_a_broken_spec_is_refused_before_anything_is_enqueued(farm: Farm, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "version: 1\nstops: []\n")
    done = run_cli(["--config", str(farm.config), "tour", "render", str(spec), "-o", str(tmp_path / "x.mp4"), "--farm"])
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert render_ids(farm.connection) == [] and list((farm.folder / "work" / "renders").iterdir()) == []
