"""The farm's job functions, run by ``streamkit farm worker``: the sound, one picture chunk, the join.

Each runs one part of the plan ``streamkit.farm.submit`` made with the tours' own engine, so a farm render runs
the very commands a local render would. Every start counts an attempt and resets the progress in the job's
metadata. A ``StreamkitError`` (ffmpeg failed, a bad input) would fail the same way on any machine, so it ends
the job's retries; only a lost worker or a timeout is worth another try.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rq import get_current_job
from rq.job import Job

from streamkit.errors import FFmpegError, StreamkitError
from streamkit.farm.queue import drop_waiting, render_of
from streamkit.farm.workdir import WorkFolder
from streamkit.media.commands import FFmpegCommand
from streamkit.media.loudness import Loudness
from streamkit.media.publish import atomic_output
from streamkit.media.runner import ProgressCallback, ProgressState
from streamkit.tours.ffmpeg.engine import Encode
from streamkit.tours.job import Rendered
from streamkit.tours.render import RenderResult, publish_rendered

PROGRESS_EVERY_SECONDS = 1.0  # how often a step writes its progress into Redis


@dataclass(frozen=True)
class ChunkStep:
    """Chunk ``index`` of a render: its command writes ``made`` (and ``posters``) in the render's scratch folder,
    published into the shared chunks under ``key`` when it succeeded."""

    index: int
    key: str
    command: FFmpegCommand
    made: Path
    posters: tuple[Path, ...]


@dataclass(frozen=True)
class Publish:
    """Where the finished render's sidecars go, and when it was submitted."""

    hls_dir: Path | None
    result: RenderResult
    submitted_at: float  # wall-clock seconds: the render's steps ran on several machines


@dataclass(frozen=True)
class JoinStep:
    """The chunks (by key, in order) and the sound stem joined into the MP4, then the sidecars published."""

    sound_job: str
    keys: tuple[str, ...]
    stem: Path
    publish: Publish


def sound(encode: Encode, stem: Path) -> Loudness:
    """The sound branch of the tour into ``stem``; returns the loudness it was normalised with."""
    with _attempt():
        return encode.sound(stem, threading.Event())


def chunk(encode: Encode, step: ChunkStep, folder: WorkFolder) -> None:
    """One chunk's picture, published into the shared chunks (posters first: the MP4 marks it finished)."""
    with _attempt():
        if folder.chunk(step.key).exists():  # an earlier attempt finished it just before its worker was lost
            return
        progress = _progress(step.command.expected_duration_ms)
        encode.job.run(step.command, f"chunk {step.index + 1}", step.made, on_progress=progress, quiet=True)
        for number, poster in enumerate(step.posters, start=1):
            os.replace(poster, folder.chunk_poster(step.key, number))
        os.replace(step.made, folder.chunk(step.key))


def whole(encode: Encode, publish: Publish) -> None:
    """A tour shorter than two chunks in one job, as one graph, as a local render makes it."""
    with _attempt():
        job = encode.job
        with atomic_output(job.output, job.verify()) as partial:
            loudness = encode.encode(partial)
        _publish(encode, Rendered(loudness, tuple(encode.saved_posters())), publish)


def join(encode: Encode, step: JoinStep, folder: WorkFolder) -> None:
    """The MP4 (published atomically), its sidecars and the manifest; the render's scratch folder removed."""
    with _attempt():
        current = get_current_job()
        assert current is not None, "the join runs as a farm job"
        loudness = Job.fetch(step.sound_job, connection=current.connection).return_value()
        assert isinstance(loudness, Loudness)
        job = encode.job
        with atomic_output(job.output, job.verify()) as partial:
            encode.join([folder.chunk(key) for key in step.keys], step.stem, partial)
        posters = tuple(poster for key in step.keys for poster in folder.chunk_posters(key))
        _publish(encode, Rendered(loudness, posters), step.publish)


def _publish(encode: Encode, rendered: Rendered, publish: Publish) -> None:
    """The sidecars, the ladder and the manifest; then the render's scratch folder goes."""
    publish_rendered(encode.job, rendered, publish.hls_dir, publish.result, began=publish.submitted_at, clock=time.time)
    shutil.rmtree(encode.job.work, ignore_errors=True)


@contextmanager
def _attempt() -> Iterator[None]:
    job = get_current_job()
    if job is not None:
        job.meta["attempts"] = int(job.meta.get("attempts", 0)) + 1
        job.meta["progress"] = 0.0
        _save_meta(job)
    try:
        yield
    except StreamkitError as error:
        if job is not None:
            job.retries_left = 0
            job.meta["error"] = _one_line(error)
            _save_meta(job)
            drop_waiting(job.connection, render_of(job.id))  # the render has failed: its other steps need not run
        raise
    if job is not None:
        job.meta["progress"] = 1.0
        _save_meta(job)


def _one_line(error: StreamkitError) -> str:
    """The error for ``farm status``: with ffmpeg's own last words, which name the input it could not read."""
    if isinstance(error, FFmpegError) and error.hint and error.stderr_tail.strip():
        return f"{error}; ffmpeg: {error.stderr_tail.strip().splitlines()[-1].strip()}"
    return str(error)


def _progress(expected_ms: int | None) -> ProgressCallback:
    """A progress callback writing the step's fraction done into its job's metadata, at most once a second."""
    job = get_current_job()
    last = [0.0]

    def report(state: ProgressState) -> None:
        now = time.monotonic()
        if job is None or not expected_ms or now - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = now
        job.meta["progress"] = min(1.0, state.out_time_us / 1000 / expected_ms)
        _save_meta(job)

    return report


def _save_meta(job: Job) -> None:
    job.save_meta()  # type: ignore[no-untyped-call]
