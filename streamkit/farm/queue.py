"""The farm's queue on Redis: the record of each render, the worker, and what ``status``, ``wait`` and ``cancel``
see of a render's jobs.

Jobs are named after their render (``ID-sound``, ``ID-chunk-0003``, ``ID-join``, or ``ID-whole`` for a tour
shorter than two chunks); a render's record lists them
and the chunks an earlier render had already finished (``skipped``).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from pydantic import BaseModel, ConfigDict
from rq import Queue, Worker
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation
from rq.job import Job, JobStatus

from streamkit.config.settings import FarmSettings
from streamkit.errors import StreamkitError
from streamkit.media.publish import partial_path

QUEUE = "streamkit-tours"
RECORDS = "streamkit:farm:renders"  # a sorted set of render ids by submission time
CANCEL_SECONDS = 2.0  # cancel waits this long for the stopped steps' processes to end
POLL_SECONDS = 0.05
ENDED = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


class FarmError(StreamkitError):
    """The farm cannot do what was asked (no Redis, no such render), or a render on it failed."""


class RenderRecord(BaseModel):
    """What a farm render is: its spec and output, the jobs it enqueued, and the chunks it found finished."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    spec: str
    output: str
    work: str  # the render's scratch folder in the shared work folder
    submitted_at: float
    sound: tuple[str, ...]  # none when the tour is one graph, rendered whole by the last step
    chunks: tuple[str, ...]  # job ids, in tour order; finished chunks are left out
    skipped: int  # chunks an earlier render had finished
    join: str  # the last step: the join, or the whole render

    @property
    def jobs(self) -> tuple[str, ...]:
        return (*self.sound, *self.chunks, self.join)


@dataclass(frozen=True)
class StepState:
    job: str
    status: str  # RQ's: queued, deferred, scheduled, started, finished, failed, stopped, canceled
    progress: float
    worker: str
    attempts: int
    error: str  # the last line of a failed step's error


@dataclass(frozen=True)
class RenderState:
    record: RenderRecord
    steps: tuple[StepState, ...]

    @property
    def status(self) -> str:
        statuses = {step.status for step in self.steps}
        for final in ("failed", "stopped", "canceled"):
            if final in statuses:
                return final
        if self.steps[-1].status == "finished":
            return "finished"
        return "running" if statuses & {"started", "finished"} else "queued"

    @property
    def error(self) -> str:
        return next((f"{step.job}: {step.error}" for step in self.steps if step.error), "")


def connect(settings: FarmSettings) -> redis.Redis:
    """The farm's Redis, checked to answer (one clear error, not a traceback, when it does not)."""
    connection = redis.Redis.from_url(settings.redis_url)
    try:
        connection.ping()
    except redis.RedisError as error:
        where = redacted(settings.redis_url)
        raise FarmError(
            f"the farm's Redis at {where} does not answer: {str(error).replace(settings.redis_url, where)}"
        ) from None
    return connection


def redacted(url: str) -> str:
    """``url`` without its user and password, for errors and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def tour_queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE, connection=connection)


class FarmWorker(Worker):
    """An RQ worker that notices a lost colleague within a few heartbeats (RQ's own grace is a minute on top)."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return 3 * int(self.job_monitoring_interval)


def work(settings: FarmSettings, name: str | None = None) -> None:
    """Run a worker until it is stopped (SIGTERM or Ctrl-C: the step it runs is finished first; twice: stopped)."""
    connection = connect(settings)
    beat = settings.heartbeat_seconds
    worker = FarmWorker(
        [tour_queue(connection)],
        connection=connection,
        name=name,
        job_monitoring_interval=beat,
        maintenance_interval=beat,
        default_worker_ttl=beat + 15,  # RQ waits for a job this long less 15 s, then looks after its registries
    )
    worker.work(with_scheduler=True)  # the scheduler runs the retries that wait an interval


def save_record(connection: redis.Redis, record: RenderRecord) -> None:
    with connection.pipeline() as pipeline:
        pipeline.set(_record_key(record.id), record.model_dump_json())
        pipeline.zadd(RECORDS, {record.id: record.submitted_at})
        pipeline.execute()


def load_record(connection: redis.Redis, render_id: str) -> RenderRecord:
    raw = connection.get(_record_key(render_id))
    if raw is None:
        raise FarmError(f"no farm render {render_id!r} (see 'streamkit farm status')")
    return RenderRecord.model_validate_json(raw)


def render_ids(connection: redis.Redis) -> list[str]:
    return [raw.decode() for raw in connection.zrange(RECORDS, 0, -1)]  # type: ignore[union-attr]


def render_state(connection: redis.Redis, render_id: str) -> RenderState:
    record = load_record(connection, render_id)
    jobs = Job.fetch_many(list(record.jobs), connection=connection)
    return RenderState(record, tuple(_step(job_id, job) for job_id, job in zip(record.jobs, jobs, strict=True)))


SETTLE_PASSES = 20  # half-second looks at a render that ended while one of its steps still shows as running


def wait(
    connection: redis.Redis,
    render_id: str,
    *,
    pause: Callable[[float], object] = time.sleep,
) -> RenderState:
    """Wait until the render has finished (returned) or failed, was stopped or cancelled (``FarmError`` with
    the first step's error)."""
    settling = SETTLE_PASSES
    while True:
        state = render_state(connection, render_id)
        if state.status == "finished":
            return state
        if state.status in ("failed", "stopped", "canceled"):
            # a step that fails for real cancels the waiting steps before RQ records its own failure: give it a
            # moment to land, so the error the user sees is the step's, not "cancelled"
            settling -= 1
            if not any(step.status == "started" for step in state.steps) or settling <= 0:
                raise FarmError(f"farm render {render_id} {state.status}: {state.error or 'cancelled'}")
        pause(0.5)


def cancel(connection: redis.Redis, render_id: str, *, clock: Callable[[], float] = time.monotonic) -> RenderState:
    """Stop every running step of the render (their workers kill the ffmpeg processes), cancel the others, and
    remove the render's partial files. Finished chunks stay in the shared folder for a re-run."""
    record = drop_waiting(connection, render_id)
    stopped: set[str] = set()
    deadline = clock() + CANCEL_SECONDS
    # a step a worker took just before it was cancelled shows up as started: it is stopped on the next pass
    while running := _running(connection, record.jobs):
        for job_id in running - stopped:
            with contextlib.suppress(InvalidJobOperation):  # it ended just now
                send_stop_job_command(connection, job_id)
            stopped.add(job_id)
        if clock() > deadline:
            raise FarmError(f"farm render {render_id}: steps still running {CANCEL_SECONDS:.0f} s after the stop")
        threading.Event().wait(POLL_SECONDS)
    shutil.rmtree(record.work, ignore_errors=True)
    partial_path(Path(record.output)).unlink(missing_ok=True)
    return render_state(connection, render_id)


def drop_waiting(connection: redis.Redis, render_id: str) -> RenderRecord:
    """Cancel the render's steps that have not started (the running ones are left alone)."""
    record = load_record(connection, render_id)
    for job in Job.fetch_many(list(record.jobs), connection=connection):
        if job is not None and job.get_status() not in (JobStatus.STARTED, *ENDED):
            job.cancel()
    return record


def _running(connection: redis.Redis, job_ids: tuple[str, ...]) -> set[str]:
    jobs = Job.fetch_many(list(job_ids), connection=connection)
    return {job.id for job in jobs if job is not None and job.get_status() == JobStatus.STARTED}


def _step(job_id: str, job: Job | None) -> StepState:
    if job is None:
        return StepState(job_id, "canceled", 0.0, "", 0, "")
    status = job.get_status(refresh=False)
    error = ""
    if status == JobStatus.FAILED:  # our steps leave a line in the metadata; RQ's own failures a traceback
        result = job.latest_result()
        traceback = (result.exc_string or "").strip() if result is not None else ""
        error = str(job.meta.get("error") or (traceback.splitlines()[-1] if traceback else "failed"))
    meta = job.meta
    return StepState(
        job_id,
        status.value if status else "",
        float(meta.get("progress", 0.0)),
        job.worker_name or "",
        int(meta.get("attempts", 0)),
        error,
    )


def render_of(job_id: str) -> str:
    """The render a step's job belongs to (its id is the render's, a dash, the step)."""
    return job_id.partition("-")[0]


def _record_key(render_id: str) -> str:
    return f"streamkit:farm:render:{render_id}"
