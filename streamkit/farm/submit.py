"""Put a tour render on the farm: plan it here with the tours' own engine, enqueue its steps as jobs.

The planning (check, effect stops, timeline, the prepared stills and captions) happens once, on the submitting
machine, in the render's scratch folder inside the shared work folder; the jobs carry the planned engine and
commands, so workers run what a local render would. The sound and the chunks not yet finished run in any
order on any worker; the join waits for all of them (RQ's ``depends_on``).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from rich.console import Console
from rq import Retry
from rq.job import Job

from streamkit.config.settings import FarmSettings
from streamkit.farm import steps
from streamkit.farm.queue import FarmError, RenderRecord, connect, save_record, tour_queue
from streamkit.farm.workdir import WorkFolder, chunk_key
from streamkit.tours.ffmpeg.engine import Encode
from streamkit.tours.inputs import prepare_inputs
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
    folder.chunk("x").parent.mkdir(exist_ok=True)
    job, result = plan_render(spec, Path(output).resolve(), options, console, work)
    encode = Encode(
        job, prepare_inputs(job.checked, job.timeline, work, job.burn), plan_chunks(job.timeline, job.chunk_frames)
    )
    if len(encode.chunks) <= 1:
        raise FarmError(f"{spec}: shorter than two chunks; render it without --farm")
    files = encode.chunk_files()
    chunk_steps = [
        steps.ChunkStep(index, chunk_key(command, work), command, made, tuple(_posters(encode, index, made)))
        for index, (command, made) in enumerate(zip(encode.picture_commands(files), files, strict=True))
    ]
    queue = tour_queue(connection)
    retry = Retry(max=settings.retries, interval=list(settings.retry_intervals))
    common = {"job_timeout": settings.job_timeout_seconds, "retry": retry, "failure_ttl": 7 * 24 * 3600}
    stem = work / "sound.m4a"
    sound = queue.enqueue(steps.sound, encode, stem, job_id=f"{render_id}-sound", **common)
    chunk_jobs: list[Job] = [
        queue.enqueue(steps.chunk, encode, step, folder, job_id=f"{render_id}-chunk-{step.index:04d}", **common)
        for step in chunk_steps
        if not folder.chunk(step.key).exists()
    ]
    join = steps.JoinStep(sound.id, tuple(s.key for s in chunk_steps), stem, options.hls_dir, result, time.time())
    joined = queue.enqueue(
        steps.join, encode, join, folder, job_id=f"{render_id}-join", depends_on=[sound, *chunk_jobs], **common
    )
    record = RenderRecord(
        id=render_id,
        spec=str(spec),
        output=str(job.output),
        work=str(work),
        submitted_at=join.submitted_at,
        sound=sound.id,
        chunks=tuple(j.id for j in chunk_jobs),
        skipped=len(chunk_steps) - len(chunk_jobs),
        join=joined.id,
    )
    save_record(connection, record)
    return record


def _posters(encode: Encode, index: int, made: Path) -> list[Path]:
    chunk = encode.chunks[index]
    return encode.poster_frames(chunk.start_frame, chunk.end_frame, made.stem).saved()
