"""Render a tour: check it, prepare stills and caption files, measure loudness, run the one-graph encode, publish.

This is the executor: the only module of the tours area with side effects. Every output is published atomically
(``.name.partial.ext`` then rename), so Ctrl-C or a failure never leaves a broken file under a final name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Literal

from rich.console import Console

from streamkit import __version__
from streamkit.cache import cache_dir, prune
from streamkit.media import tour_graph as graph
from streamkit.media import tour_sound
from streamkit.media.checksum import file_sha256
from streamkit.media.commands import FFmpegCommand
from streamkit.media.probe import MediaInfo, probe
from streamkit.media.publish import atomic_output, partial_path, verify_media, write_text_atomic
from streamkit.media.runner import ProgressCallback, ProgressState, run_ffmpeg
from streamkit.media.tools import ffmpeg_binary
from streamkit.tours import captions, stills
from streamkit.tours.check import CheckedTour, check_tour
from streamkit.tours.effects.segments import EffectSegment, prerender_effect_stops
from streamkit.tours.ffmpeg import ken_burns
from streamkit.tours.poster import candidate_frames, choose_poster
from streamkit.tours.spec import Tour
from streamkit.tours.timeline import Chunk, Timeline, build_timeline, plan_chunks

PREVIEW_HEIGHT = 360
CHUNK_SECONDS = 15.0


@dataclass(frozen=True)
class RenderOptions:
    hls_dir: Path | None = None
    preview: bool = False
    dry_run: bool = False
    burn_captions: bool | None = None  # None: as the spec says
    show_progress: bool = True
    threads: int | None = None
    engine: Literal["ffmpeg", "moviepy"] = "ffmpeg"  # moviepy: see streamkit/tours/moviepy_engine.py
    # the ffmpeg engine renders the picture in chunks of about this length, one process each, so memory is bounded
    # by a chunk, not the tour; tours shorter than two chunks stay one graph (see docs/decisions-tours.md)
    chunk_seconds: float = CHUNK_SECONDS
    parallel_chunks: int = 1  # chunk processes at once (each holds one chunk's memory)
    # a chunked render mixes its sound in sections of this length, one process each (see streamkit.media.tour_sound)
    section_seconds: float = tour_sound.SECTION_SECONDS


@dataclass
class RenderResult:
    output: Path
    timeline: Timeline
    sidecars: list[Path] = field(default_factory=list)
    measured: graph.MeasuredLoudness | None = None
    seconds: float = 0.0
    effect_segments: list[EffectSegment] = field(default_factory=list)  # stops pre-rendered through moviepy


def output_size(tour: Tour, preview: bool) -> tuple[int, int]:
    width, height = tour.output.width, tour.output.height
    if preview and height > PREVIEW_HEIGHT:
        width = round(width * PREVIEW_HEIGHT / height / 2) * 2
        height = PREVIEW_HEIGHT
    return width, height


def sidecar_paths(output: Path) -> dict[str, Path]:
    stem = output.with_suffix("")
    return {
        "srt": stem.with_suffix(".srt"),
        "vtt": stem.with_suffix(".vtt"),
        "chapters": Path(f"{stem}.chapters.vtt"),
        "poster": stem.with_suffix(".jpg"),
        "manifest": stem.with_suffix(".json"),
    }


def prepare_stills(
    tour: Tour, timeline: Timeline, sizes: Mapping[int, tuple[int, int]] | None = None
) -> dict[int, Path]:
    """The prepared (cached) picture of every photo and card shot, by shot index; at the frame's size unless
    ``sizes`` names another one for a shot (a moving photo is prepared larger)."""
    size = (timeline.width, timeline.height)
    cache = cache_dir("stills")
    prune(cache)  # stills no render has used for a month
    still_files: dict[int, Path] = {}
    for i, shot in enumerate(timeline.shots):
        if shot.kind == "photo" and shot.source is not None:
            photo_size = (sizes or {}).get(i, size)
            still_files[i] = stills.prepare_photo(shot.source, photo_size, tour.output.photo_fill, cache)
        elif shot.card is not None:
            image = tour.resolve(shot.card.image) if shot.card.image else None
            still_files[i] = stills.prepare_card(shot.card, size, cache, image)
    return still_files


def prepare_inputs(
    checked: CheckedTour, timeline: Timeline, work: Path, burn: bool, *, shots: bool = True
) -> graph.TourInputs:
    """Write what the graph reads besides the spec's media: stills, lower-thirds, captions, chapters. Without
    ``shots`` the stills and Ken Burns plans are left out (the moviepy engine draws the shots itself)."""
    tour = checked.tour
    size = (timeline.width, timeline.height)
    cache = cache_dir("stills")
    planned = plan_moves(timeline, tour.defaults.ken_burns, work) if shots else {}
    sizes = {i: move.plan.still_size for i, move in planned.items()}
    still_files = prepare_stills(tour, timeline, sizes) if shots else {}
    lower_thirds = []
    for lt in timeline.lower_thirds:
        path, (x, y) = stills.prepare_lower_third(lt.name, lt.detail, size, cache)
        lower_thirds.append(graph.Overlay(path, lt.start_ms, lt.end_ms, x, y))
    logo = None
    if tour.logo is not None:
        logo = graph.LogoPlacement(
            tour.resolve(tour.logo.path), tour.logo.corner, tour.logo.opacity,
            round(tour.logo.margin * timeline.height / tour.output.height),
            max(2, round(tour.logo.width * timeline.width / 2) * 2),
        )  # fmt: skip
    soft_srt = burn_ass = None
    if timeline.captions:
        soft_srt = work / "captions.srt"
        soft_srt.write_text(captions.srt(timeline.captions), encoding="utf-8")
        if burn:
            burn_ass = work / "captions.ass"
            burn_ass.write_text(captions.ass(timeline.captions, tour.defaults.captions, size), encoding="utf-8")
    metadata = work / "chapters.ffmeta"
    title = tour.title.lines[0] if tour.title else tour.stops[0].title
    metadata.write_text(captions.ffmetadata(timeline.chapters, title), encoding="utf-8")
    d = tour.ducking
    return graph.TourInputs(
        stills={i: stills.raw_still(png) for i, png in still_files.items()},
        lower_thirds=tuple(lower_thirds),
        logo=logo,
        burn_ass=burn_ass,
        fonts_dir=_fonts_dir(checked, work),
        soft_srt=soft_srt,
        metadata=metadata,
        ducking=graph.Ducking(d.threshold, d.ratio, d.attack_ms, d.release_ms),
        ken_burns=tour.defaults.ken_burns,
        moves=planned,
    )


def plan_moves(timeline: Timeline, amount: float, work: Path) -> dict[int, graph.PlannedMove]:
    """Whole-pixel plans of the photos' Ken Burns moves, with their ``sendcmd`` files written into ``work``.
    A move no plan places within ``ken_burns.MAX_ERROR_PX`` is left out (the graph uses ``perspective``)."""
    size = (timeline.width, timeline.height)
    planned = {}
    for i, shot in enumerate(timeline.shots):
        if shot.kind != "photo" or shot.move == "none":
            continue
        plan = ken_burns.plan_move(shot.move, shot.frames, amount, size)
        if plan.worst_error_px > ken_burns.MAX_ERROR_PX:
            continue
        commands = work / f"move-{i}.cmd"
        commands.write_text(ken_burns.sendcmd_script(plan, timeline.fps, f"crop@kb{i}"), encoding="utf-8")
        planned[i] = graph.PlannedMove(plan, commands)
    return planned


def _fonts_dir(checked: CheckedTour, work: Path) -> Path | None:
    """A folder holding only the caption font: libass loads every font file of ``fontsdir`` into memory, and
    the Noto CJK folder holds 89 MB of them."""
    if checked.font is None:
        return None
    folder = work / "fonts"
    folder.mkdir(exist_ok=True)
    (folder / checked.font.file.name).symlink_to(checked.font.file)
    return folder


def _run(
    command: FFmpegCommand,
    options: RenderOptions,
    console: Console,
    what: str,
    out: Path | None,
    *,
    on_progress: ProgressCallback | None = None,
    quiet: bool = False,
    background: bool = False,
) -> None:
    try:
        run_ffmpeg(
            command.argv,
            expected_duration_ms=command.expected_duration_ms,
            description=what,
            dry_run=options.dry_run,
            show_progress=options.show_progress and not quiet,
            on_progress=on_progress,
            console=console,
            output_path=out,
            background=background,
        )
    finally:
        if not options.dry_run:
            command.cleanup()


def render_tour(spec: str | Path, output: str | Path, options: RenderOptions = RenderOptions(),
                console: Console | None = None) -> RenderResult:  # fmt: skip
    """Check ``spec`` and render it to ``output`` with its sidecars (and an HLS ladder when asked)."""
    began = time.monotonic()
    console = console or Console(stderr=True)
    output = Path(output)
    checked = check_tour(spec)
    checked.raise_if_problems()
    segments: list[EffectSegment] = []
    if not options.dry_run:  # stops with Python effects become clips of their pre-rendered (cached) segments
        checked, segments = prerender_effect_stops(checked, output_size(checked.tour, options.preview))
    tour = checked.tour
    timeline = build_timeline(tour, checked.media, size=output_size(tour, options.preview))
    if options.engine == "moviepy":
        from streamkit.tours.moviepy_engine import render_tour_moviepy

        done = render_tour_moviepy(checked, timeline, output, options, console)
        done.effect_segments = segments
        return done
    burn = tour.defaults.captions.burn_in if options.burn_captions is None else options.burn_captions
    encoding = graph.Encoding(tour.output.crf, tour.output.preset, threads=options.threads)
    if options.preview:
        encoding = graph.Encoding(max(tour.output.crf, 28), "ultrafast", "96k", options.threads)
    loudness = graph.Loudness(tour.output.loudness.target_lufs, tour.output.loudness.target_true_peak)
    ffmpeg_bin = ffmpeg_binary()
    result = RenderResult(output, timeline, effect_segments=segments)
    with _work_folder(options.dry_run, console) as work:
        inputs = prepare_inputs(checked, timeline, work, burn)
        frame_ms = 1000 / float(timeline.fps)
        verify = verify_media(timeline.duration_ms, tolerance_ms=round(frame_ms) + 1, need_audio=True)
        chunks = plan_chunks(timeline, round(options.chunk_seconds * timeline.fps))
        render = _Render(timeline, inputs, chunks, work, encoding, loudness, ffmpeg_bin, options, console,
                         checked.media)  # fmt: skip
        if options.dry_run:
            render.encode(partial_path(output), output)
            if options.hls_dir is not None:
                _run(_hls(tour, output, options.hls_dir, None, timeline.fps, ffmpeg_bin), options, console, "HLS", None)
            return result
        with atomic_output(output, verify) as partial:
            loudness = render.encode(partial, output)
        result.measured = loudness.measured
        result.sidecars = publish_sidecars(checked, timeline, output, render.saved_posters())
        if options.hls_dir is not None:
            vtt = sidecar_paths(output)["vtt"] if timeline.captions else None
            publish_hls(tour, output, options.hls_dir, vtt, timeline.fps, ffmpeg_bin, options, console)
    result.seconds = time.monotonic() - began
    write_manifest(checked, timeline, output, result, encoding, loudness)
    return result


@contextlib.contextmanager
def _work_folder(dry_run: bool, console: Console) -> Iterator[Path]:
    """The render's scratch folder, removed afterwards. A dry run's commands read files in it (captions, Ken Burns
    commands, chapters), so it is kept and named after them, for whoever runs them by hand."""
    if not dry_run:
        with tempfile.TemporaryDirectory(prefix="streamkit-tour-") as tmp:
            yield Path(tmp)
        return
    folder = Path(tempfile.mkdtemp(prefix="streamkit-tour-dry-run-"))
    yield folder
    console.print(f"# the files these commands read are kept in {folder} (remove it when done)", highlight=False)


@dataclass(frozen=True)
class _Render:
    """The encode of a planned tour: one graph, or chunks of picture encoded while the sound renders beside them
    as a stem, then both copied into the MP4 with the captions."""

    timeline: Timeline
    inputs: graph.TourInputs
    chunks: tuple[Chunk, ...]
    work: Path
    encoding: graph.Encoding
    loudness: graph.Loudness  # the targets; measured by ``measure``
    ffmpeg_bin: str
    options: RenderOptions
    console: Console
    media: Mapping[Path, MediaInfo] = field(default_factory=dict)  # the spec's media, probed (voices' lengths)

    def encode(self, target: Path, final: Path) -> graph.Loudness:
        """Write the tour to ``target``; returns the loudness it was normalised with (measured unless preview)."""
        if len(self.chunks) <= 1:
            loudness = self.measure()
            command = graph.tour_command(
                self.timeline,
                self.inputs,
                target,
                loudness=loudness,
                encoding=self.encoding,
                ffmpeg_bin=self.ffmpeg_bin,
                poster=self.poster_frames(0, self.timeline.total_frames, "poster"),
            )
            _run(command, self.options, self.console, "rendering", final)
            return loudness
        files = self.chunk_files()
        commands = [
            graph.chunk_video_command(
                self.timeline,
                chunk,
                self.inputs,
                path,
                encoding=self.encoding,
                ffmpeg_bin=self.ffmpeg_bin,
                poster=self.poster_frames(chunk.start_frame, chunk.end_frame, path.stem),
            )
            for chunk, path in zip(self.chunks, files, strict=True)
        ]
        stem = self.work / "sound.m4a"
        if self.options.dry_run:  # the commands in the order they start
            loudness = self.sound(stem, threading.Event())
            self.pictures(commands, threading.Event())
        else:
            loudness = self._beside(stem, commands)
        concat = self.work / "chunks.ffconcat"
        concat.write_text(graph.concat_list(files), encoding="utf-8")
        command = graph.mux_command(self.timeline, self.inputs, concat, stem, target, ffmpeg_bin=self.ffmpeg_bin)
        _run(command, self.options, self.console, "joining", final)
        for path in [*files, stem]:
            path.unlink(missing_ok=True)
        return loudness

    def poster_frames(self, start: int, end: int, name: str) -> graph.PosterFrames:
        """The poster's candidates among frames ``start..end`` of the tour, saved as ``name-NN.bmp`` images."""
        (self.work / "posters").mkdir(exist_ok=True)
        picks = tuple(frame - start for frame in candidate_frames(self.timeline) if start <= frame < end)
        return graph.PosterFrames(picks, self.work / "posters" / f"{name}-%02d.bmp")

    def chunk_files(self) -> list[Path]:
        return [self.work / f"chunk-{k:04d}.mp4" for k in range(len(self.chunks))]

    def saved_posters(self) -> list[Path]:
        """The candidate images the render saved, in tour order."""
        if len(self.chunks) <= 1:
            return self.poster_frames(0, self.timeline.total_frames, "poster").saved()
        pairs = zip(self.chunks, self.chunk_files(), strict=True)
        return [p for c, f in pairs for p in self.poster_frames(c.start_frame, c.end_frame, f.stem).saved()]

    def _beside(self, stem: Path, commands: list[FFmpegCommand]) -> graph.Loudness:
        """The sound in a background thread while the pictures encode in this one. Whichever fails first (or
        Ctrl-C, which only this thread receives) sets ``stop``; the other branch sees it at its next progress
        report (twice a second) and its ffmpeg is terminated by the runner. The first real error is raised."""
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sound") as pool:
            sound = pool.submit(self.sound, stem, stop)
            try:
                self.pictures(commands, stop)
                return sound.result()
            except BaseException as error:
                stop.set()
                wait([sound])
                cause = sound.exception()
                if isinstance(error, _Stopped) and cause is not None and not isinstance(cause, _Stopped):
                    raise cause from None
                raise

    def measure(self) -> graph.Loudness:
        """Pass 1 of the one-graph render: the mix measured with ``ebur128``. A preview skips it (loudnorm's
        one-pass dynamic mode)."""
        if self.options.preview:
            return self.loudness
        stats = self.work / "loudness.txt"
        command = graph.loudness_measure_command(self.timeline, self.inputs, stats, ffmpeg_bin=self.ffmpeg_bin)
        _run(command, self.options, self.console, "measuring loudness", None)
        return self._measured(stats)

    def _measured(self, stats: Path) -> graph.Loudness:
        """The targets with what pass 1 wrote into ``stats`` (nothing in a dry run)."""
        if self.options.dry_run:
            return self.loudness
        measured = graph.parse_ebur128_stats(stats.read_text(encoding="utf-8"))
        return dataclasses.replace(self.loudness, measured=measured)

    def sound(self, stem: Path, stop: threading.Event) -> graph.Loudness:
        """The sound branch: the mix section by section, pass 1 on it, then the stem (see
        ``streamkit.media.tour_sound``). Silent (the picture has the progress bar); checks ``stop`` between its
        steps and sets it when it fails, so the pictures stop too."""
        try:
            files = self._mix(stop)
            loudness = self.loudness
            if not self.options.preview:  # a preview skips pass 1 (loudnorm's one-pass dynamic mode)
                stats = self.work / "loudness.txt"
                command = tour_sound.measure_command(self.timeline, files, stats, ffmpeg_bin=self.ffmpeg_bin)
                self._sound_step(command, "measuring loudness", stop)
                loudness = self._measured(stats)
            command = tour_sound.sound_command(self.timeline, files, stem, encoding=self.encoding, loudness=loudness,
                                               ffmpeg_bin=self.ffmpeg_bin)  # fmt: skip
            self._sound_step(command, "sound stem", stop)
            self._remove(files)
            return loudness
        except BaseException:
            stop.set()
            raise

    def _mix(self, stop: threading.Event) -> list[Path]:
        """The music beds alone, then the mix section by section over them: the raw files of the sections."""
        music = self.work / "music.f32" if self.timeline.music else None
        if music is not None:
            command = tour_sound.music_command(self.timeline, music, ffmpeg_bin=self.ffmpeg_bin)
            self._sound_step(command, "music", stop)
        sections = self.sound_sections()
        files = [self.work / f"mix-{k:04d}.f32" for k in range(len(sections))]
        for k, (section, path) in enumerate(zip(sections, files, strict=True)):
            command = tour_sound.section_command(self.timeline, section, self.inputs.ducking, music, path,
                                                 ffmpeg_bin=self.ffmpeg_bin)  # fmt: skip
            self._sound_step(command, f"sound section {k + 1}/{len(sections)}", stop)
        self._remove([music] if music is not None else [])  # the sections hold it now
        return files

    def sound_sections(self) -> tuple[tour_sound.SoundSection, ...]:
        """The chunked render's sound cut into sections, with the sources each one opens."""
        voice_ms = {path: info.duration_ms for path, info in self.media.items()}
        return tour_sound.plan_sections(self.timeline, voice_ms, self.inputs.ducking, self.options.section_seconds)

    def _sound_step(self, command: FFmpegCommand, what: str, stop: threading.Event) -> None:
        """One step of the sound branch, in the background: the picture's chunks leave a core partly idle
        (x264's frame threads wait on each other, each chunk starts on one core), and at the lowest priority
        the sound takes only that. At normal priority it took the cores from the first chunk instead: the x1
        bench tour rendered in 19.9-20.6 s, in 18.3-19.4 s with the sound at nice 19, the sound still done
        during the second chunk."""
        if stop.is_set():
            raise _Stopped
        _run(command, self.options, self.console, what, None, on_progress=_stopper(stop), quiet=True,
             background=True)  # fmt: skip

    def _remove(self, paths: Sequence[Path]) -> None:
        """Temporary sound files read for the last time (a dry run wrote none)."""
        if not self.options.dry_run:
            for path in paths:
                path.unlink()

    def pictures(self, commands: list[FFmpegCommand], stop: threading.Event) -> None:
        if self.options.parallel_chunks > 1 and not self.options.dry_run:
            self._parallel(commands, stop)
            return
        for k, command in enumerate(commands):
            if stop.is_set():
                raise _Stopped
            what = f"picture {k + 1}/{len(commands)}"
            _run(command, self.options, self.console, what, None, on_progress=_stopper(stop))

    def _parallel(self, commands: list[FFmpegCommand], stop: threading.Event) -> None:
        """Chunks ``parallel_chunks`` at a time. A failure or an interrupt stops the others through ``stop``."""
        check = _stopper(stop)

        def one(command: FFmpegCommand) -> None:
            if stop.is_set():
                raise _Stopped
            try:
                run_ffmpeg(command.argv, show_progress=False, on_progress=check, console=self.console)
            finally:
                command.cleanup()

        with ThreadPoolExecutor(max_workers=self.options.parallel_chunks) as pool:
            futures = [pool.submit(one, command) for command in commands]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                stop.set()
                raise


def _stopper(stop: threading.Event) -> ProgressCallback:
    """A progress callback that ends its ffmpeg (the runner terminates it) once ``stop`` is set."""

    def check(_: ProgressState) -> None:
        if stop.is_set():
            raise _Stopped

    return check


class _Stopped(Exception):
    """A branch of the render stopped because another one failed or the render was interrupted."""


def publish_sidecars(
    checked: CheckedTour, timeline: Timeline, output: Path, saved_posters: Sequence[Path] = ()
) -> list[Path]:
    paths = sidecar_paths(output)
    written = []
    if timeline.captions:
        write_text_atomic(paths["srt"], captions.srt(timeline.captions))
        write_text_atomic(paths["vtt"], captions.vtt(timeline.captions))
        written += [paths["srt"], paths["vtt"]]
    write_text_atomic(paths["chapters"], captions.vtt(timeline.chapters))
    written.append(paths["chapters"])
    jpeg = choose_poster(output, timeline, saved_posters)
    with atomic_output(paths["poster"]) as partial:
        partial.write_bytes(jpeg)
    written.append(paths["poster"])
    return written


def _hls(tour: Tour, source: Path, out_dir: Path, vtt: Path | None, fps: Fraction, ffmpeg_bin: str) -> FFmpegCommand:
    variants = [graph.HlsVariant(v.height, v.bitrate_kbps) for v in tour.output.hls]
    return graph.hls_command(source, vtt, out_dir, variants, fps, preset=tour.output.preset, ffmpeg_bin=ffmpeg_bin)


def publish_hls(tour: Tour, source: Path, hls_dir: Path, vtt: Path | None, fps: Fraction, ffmpeg_bin: str,
                options: RenderOptions, console: Console) -> None:  # fmt: skip
    """Write the ladder into ``.DIR.partial`` and rename it into place only when ffmpeg succeeded."""
    partial = hls_dir.with_name(f".{hls_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _run(_hls(tour, source, partial, vtt, fps, ffmpeg_bin), options, console, "HLS ladder", hls_dir)
        master = partial / "master.m3u8"
        master.write_text(graph.tidy_master_playlist(master.read_text(encoding="utf-8")), encoding="utf-8")
        old = hls_dir.with_name(f".{hls_dir.name}.old")
        if hls_dir.exists():
            os.replace(hls_dir, old)
        os.replace(partial, hls_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _input_paths(timeline: Timeline, tour: Tour) -> Sequence[Path]:
    paths = [s.source for s in timeline.shots if s.source is not None]
    paths += [v.source for v in timeline.voices] + [m.source for m in timeline.music]
    if tour.logo is not None:
        paths.append(tour.resolve(tour.logo.path))
    return list(dict.fromkeys(paths))


def write_manifest(checked: CheckedTour, timeline: Timeline, output: Path, result: RenderResult,
                   encoding: graph.Encoding, loudness: graph.Loudness) -> None:  # fmt: skip
    tour = checked.tour
    info = probe(output)
    manifest = {
        "version": 1,
        "streamkit": __version__,
        "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "render_seconds": round(result.seconds, 2),
        "output": output.name,
        "duration_ms": info.duration_ms,
        "planned_duration_ms": timeline.duration_ms,
        "size": [timeline.width, timeline.height],
        "fps": str(timeline.fps),
        "chapters": [{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in timeline.chapters],
        "captions": [{"text": c.text, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in timeline.captions],
        "inputs": [
            {"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in _input_paths(timeline, tour)
        ],
        "settings": {
            "crf": encoding.crf,
            "preset": encoding.preset,
            "loudness_target_lufs": loudness.target_lufs,
            "true_peak_dbtp": loudness.target_true_peak,
            "measured": None if result.measured is None else dataclasses.asdict(result.measured),
            "normalisation": graph.normalise(loudness),  # a plain gain, or loudnorm when peaks need limiting
            "captions_burned_in": tour.defaults.captions.burn_in,
        },
        "sidecars": [p.name for p in result.sidecars],
    }
    path = sidecar_paths(output)["manifest"]
    write_text_atomic(path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    result.sidecars.append(path)
