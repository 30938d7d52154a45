"""Render a tour: check it, plan it, let an engine render it, publish the sidecars, the HLS ladder and the manifest.

``render_tour`` decides everything before anything renders: the effect stops' segments (pre-rendered, or found
in the cache, in a dry run too, so the commands printed are the ones a real run executes), the timeline, the
encoder and loudness settings (from the spec), then hands one ``RenderJob`` to the engine
(``streamkit.tours.ffmpeg.engine`` or ``streamkit.tours.moviepy.engine``) and the result to ``outputs``.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rich.console import Console

from streamkit.media.codecs import X264_THREADS
from streamkit.media.loudness import MeasuredLoudness
from streamkit.media.tools import ffmpeg_binary
from streamkit.tours import outputs
from streamkit.tours.check import check_tour
from streamkit.tours.effects.segments import EffectSegment, prerender_effect_stops
from streamkit.tours.ffmpeg import engine as ffmpeg_engine
from streamkit.tours.ffmpeg.sections import SECTION_SECONDS
from streamkit.tours.job import Rendered, RenderJob, encoding_for, loudness_targets
from streamkit.tours.moviepy import engine as moviepy_engine
from streamkit.tours.spec import Tour
from streamkit.tours.timeline import Timeline, build_timeline

PREVIEW_HEIGHT = 360
CHUNK_SECONDS = 15.0


@dataclass(frozen=True)
class RenderOptions:
    hls_dir: Path | None = None
    preview: bool = False
    dry_run: bool = False
    burn_captions: bool | None = None  # None: as the spec says
    show_progress: bool = True
    threads: int = X264_THREADS  # x264's threads per process: fixed, since they shape the pictures
    engine: Literal["ffmpeg", "moviepy"] = "ffmpeg"  # moviepy: see streamkit/tours/moviepy/engine.py
    # the ffmpeg engine renders the picture in chunks of about this length, one process each, so memory is bounded
    # by a chunk, not the tour; tours shorter than two chunks stay one graph (see docs/decisions-tours.md)
    chunk_seconds: float = CHUNK_SECONDS
    parallel_chunks: int = 1  # chunk processes at once (each holds one chunk's memory)
    # a chunked render mixes its sound in sections of this length, one process each (streamkit.tours.ffmpeg.sections)
    section_seconds: float = SECTION_SECONDS


@dataclass
class RenderResult:
    output: Path
    timeline: Timeline
    sidecars: list[Path] = field(default_factory=list)
    measured: MeasuredLoudness | None = None
    seconds: float = 0.0
    effect_segments: list[EffectSegment] = field(default_factory=list)  # stops pre-rendered through moviepy


def output_size(tour: Tour, preview: bool) -> tuple[int, int]:
    width, height = tour.output.width, tour.output.height
    if preview and height > PREVIEW_HEIGHT:
        width = round(width * PREVIEW_HEIGHT / height / 2) * 2
        height = PREVIEW_HEIGHT
    return width, height


def render_tour(
    spec: str | Path, output: str | Path, options: RenderOptions = RenderOptions(), console: Console | None = None
) -> RenderResult:
    """Check ``spec`` and render it to ``output`` with its sidecars (and an HLS ladder when asked)."""
    began = time.monotonic()
    console = console or Console(stderr=True)
    with _work_folder(options.dry_run, console) as work:
        job, result = plan_render(spec, output, options, console, work)
        if options.dry_run:
            for segment in result.effect_segments:
                console.print(f"# stop {segment.stop + 1} with effects is read from {segment.path}", highlight=False)
        engine = moviepy_engine if options.engine == "moviepy" else ffmpeg_engine
        rendered = engine.render(job)
        if options.dry_run:
            if options.hls_dir is not None:
                job.run(outputs.ladder_command(job, options.hls_dir), "HLS")
            return result
        publish_rendered(job, rendered, options.hls_dir, result, began=began, clock=time.monotonic)
    return result


def plan_render(
    spec: str | Path, output: str | Path, options: RenderOptions, console: Console, work: Path
) -> tuple[RenderJob, RenderResult]:
    """Check ``spec`` (raising on any problem), pre-render its effect stops, plan it: the job an engine renders,
    with its files kept in ``work``, and the result it will fill in."""
    output = Path(output)
    checked = check_tour(spec)
    checked.raise_if_problems()
    size = output_size(checked.tour, options.preview)
    # stops with Python effects become clips of their pre-rendered (cached) segments: the plan depends on them
    checked, segments = prerender_effect_stops(checked, size)
    tour = checked.tour
    timeline = build_timeline(tour, checked.media, size=size)
    job = RenderJob(
        checked=checked,
        timeline=timeline,
        output=output,
        work=work,
        encoding=encoding_for(tour.output, preview=options.preview, threads=options.threads),
        loudness=loudness_targets(tour.output.loudness),
        burn=tour.defaults.captions.burn_in if options.burn_captions is None else options.burn_captions,
        ffmpeg_bin=ffmpeg_binary(),
        console=console,
        dry_run=options.dry_run,
        preview=options.preview,
        show_progress=options.show_progress,
        chunk_frames=round(options.chunk_seconds * timeline.fps),
        parallel_chunks=options.parallel_chunks,
        section_seconds=options.section_seconds,
    )
    return job, RenderResult(output, timeline, effect_segments=segments)


def publish_rendered(
    job: RenderJob,
    rendered: Rendered,
    hls_dir: Path | None,
    result: RenderResult,
    *,
    began: float,
    clock: Callable[[], float],
) -> None:
    """After the engine published the MP4: the sidecars, the HLS ladder when asked, and the manifest, with the
    render's ``clock() - began`` seconds (a farm's clock is the wall's: its steps run on several machines)."""
    result.measured = rendered.loudness.measured
    result.sidecars = outputs.publish_sidecars(job.timeline, job.output, rendered.posters)
    if hls_dir is not None:
        outputs.publish_hls(job, hls_dir)
    result.seconds = clock() - began
    result.sidecars.append(outputs.write_manifest(job, rendered.loudness, result.seconds, result.sidecars))


@contextlib.contextmanager
def _work_folder(dry_run: bool, console: Console) -> Iterator[Path]:
    """The render's scratch folder, removed afterwards. A dry run's commands read files in it (captions, Ken Burns
    commands, chapters, filter scripts), so it is kept and named after them, for whoever runs them by hand."""
    if not dry_run:
        with tempfile.TemporaryDirectory(prefix="streamkit-tour-") as tmp:
            yield Path(tmp)
        return
    folder = Path(tempfile.mkdtemp(prefix="streamkit-tour-dry-run-"))
    yield folder
    console.print(f"# the files these commands read are kept in {folder} (remove it when done)", highlight=False)
