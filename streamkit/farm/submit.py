"""Put a tour render on the farm: plan it here with the tours' own engine, enqueue its steps as jobs.

The planning (check, effect stops, timeline, the prepared stills and captions) happens once, on the submitting
machine, in the render's scratch folder inside the shared work folder; the jobs carry the planned engine and
commands, so workers run what a local render would. The sound and the chunks not yet finished run in any
order on any worker; the join waits for all of them (RQ's ``depends_on``).
"""

from __future__ import annotations

import functools
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import redis
from rich.console import Console
from rq import Retry
from rq.job import Job

from streamkit.config.settings import FarmSettings
from streamkit.farm import steps
from streamkit.farm.queue import FarmError, RenderRecord, connect, save_record, tour_queue
from streamkit.farm.workdir import WorkFolder, chunk_key, file_checksum
from streamkit.tours.ffmpeg.engine import Encode
from streamkit.tours.inputs import prepare_inputs
from streamkit.tours.job import RenderJob
from streamkit.tours.render import RenderOptions, plan_render
from streamkit.tours.timeline import plan_chunks


def submit_render(
    spec: str | Path, output: str | Path, options: RenderOptions, settings: FarmSettings, console: Console
) -> RenderRecord:
    """Plan ``spec`` and enqueue its render to ``output``; returns the render's record (its id for status)."""
    if options.engine != "ffmpeg" or options.dry_run:
        raise FarmError("the farm renders with the ffmpeg engine, for real (no --dry-run, no --engine moviepy)")
    connection = connect(settings)
    folder = WorkFolder(settings.work_dir.resolve())
    render_id = uuid.uuid4().hex[:12]
    work = folder.render(render_id)
    work.mkdir(parents=True)
    folder.chunks.mkdir(exist_ok=True)
    try:
        job, result = plan_render(spec, Path(output).resolve(), options, console, work)
        inputs = prepare_inputs(job.checked, job.timeline, work, job.burn)
    except BaseException:
        shutil.rmtree(work)
        raise
    encode = Encode(job, inputs, plan_chunks(job.timeline, job.chunk_frames))
    queue = tour_queue(connection)
    retry = Retry(max=settings.retries, interval=list(settings.retry_intervals))
    # results and failures are kept a week: the join reads the sound's result however long the chunks take, and
    # `farm status` shows a render's steps after it ended
    kept = 7 * 24 * 3600
    common = {"job_timeout": settings.job_timeout_seconds, "retry": retry, "result_ttl": kept, "failure_ttl": kept}
    publish = steps.Publish(options.hls_dir, result, time.time())
    if len(encode.chunks) <= 1:  # one graph, as a local render would
        whole = queue.enqueue(steps.whole, encode, publish, job_id=f"{render_id}-whole", **common)
        return _record(connection, render_id, spec, job, publish, (), (), 0, whole)
    files = encode.chunk_files()
    checksum = functools.cache(file_checksum)  # the files do not change while we plan
    chunk_steps = [
        steps.ChunkStep(index, chunk_key(command, work, checksum), command, made, tuple(_posters(encode, index, made)))
        for index, (command, made) in enumerate(zip(encode.picture_commands(files), files, strict=True))
    ]
    stem = work / "sound.m4a"
    sound = queue.enqueue(steps.sound, encode, stem, job_id=f"{render_id}-sound", **common)
    chunk_jobs: list[Job] = [
        queue.enqueue(steps.chunk, encode, step, folder, job_id=f"{render_id}-chunk-{step.index:04d}", **common)
        for step in chunk_steps
        if not folder.chunk(step.key).exists()
    ]
    join = steps.JoinStep(sound.id, tuple(s.key for s in chunk_steps), stem, publish)
    after = [sound, *chunk_jobs]
    joined = queue.enqueue(steps.join, encode, join, folder, job_id=f"{render_id}-join", depends_on=after, **common)
    skipped = len(chunk_steps) - len(chunk_jobs)
    return _record(connection, render_id, spec, job, publish, (sound,), chunk_jobs, skipped, joined)


def _record(
    connection: redis.Redis,
    render_id: str,
    spec: str | Path,
    job: RenderJob,
    publish: steps.Publish,
    sound: Sequence[Job],
    chunks: Sequence[Job],
    skipped: int,
    last: Job,
) -> RenderRecord:
    """The render's record, saved."""
    record = RenderRecord(
        id=render_id,
        spec=str(spec),
        output=str(job.output),
        work=str(job.work),
        submitted_at=publish.submitted_at,
        sound=tuple(job.id for job in sound),
        chunks=tuple(job.id for job in chunks),
        skipped=skipped,
        join=last.id,
    )
    save_record(connection, record)
    return record


def _posters(encode: Encode, index: int, made: Path) -> list[Path]:
    chunk = encode.chunks[index]
    return encode.poster_frames(chunk.start_frame, chunk.end_frame, made.stem).saved()
