"""The ffmpeg engine: runs a planned tour's commands, one graph or chunks of picture beside a sound stem.

A tour shorter than two chunks is one graph (pass 1 measures the mix, pass 2 renders everything). A longer one
encodes its picture in chunks while the sound renders beside them, section by section, as a stem (``sections``);
``join_command`` then copies both into the MP4 with the captions. Every command is built before its branch starts;
only the stem's normalisation waits for pass 1's measurement.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from streamkit.media.commands import FFmpegCommand
from streamkit.media.loudness import Loudness, parse_ebur128_stats
from streamkit.media.publish import atomic_output, partial_path
from streamkit.media.runner import ProgressCallback, ProgressState
from streamkit.tours.ffmpeg import commands, sections
from streamkit.tours.ffmpeg.posters import PosterFrames
from streamkit.tours.inputs import TourInputs, prepare_inputs
from streamkit.tours.job import Rendered, RenderJob
from streamkit.tours.poster import candidate_frames
from streamkit.tours.timeline import Chunk, plan_chunks


def render(job: RenderJob) -> Rendered:
    """Render ``job`` into its output, published atomically (a dry run prints the commands instead)."""
    inputs = prepare_inputs(job.checked, job.timeline, job.work, job.burn)
    encode = Encode(job, inputs, plan_chunks(job.timeline, job.chunk_frames))
    if job.dry_run:
        return Rendered(encode.encode(partial_path(job.output)))
    with atomic_output(job.output, job.verify()) as partial:
        loudness = encode.encode(partial)
    return Rendered(loudness, tuple(encode.saved_posters()))


@dataclass(frozen=True)
class Encode:
    """The encode of a planned tour: one graph, or chunks of picture encoded while the sound renders beside them
    as a stem, then both copied into the MP4 with the captions."""

    job: RenderJob
    inputs: TourInputs
    chunks: tuple[Chunk, ...]

    def encode(self, target: Path) -> Loudness:
        """Write the tour to ``target``; returns the loudness it was normalised with (measured unless preview)."""
        job = self.job
        if len(self.chunks) <= 1:
            loudness = self.measure()
            command = commands.tour_command(
                job.timeline,
                self.inputs,
                target,
                loudness=loudness,
                encoding=job.encoding,
                script=job.work / "tour.ffgraph",
                ffmpeg_bin=job.ffmpeg_bin,
                poster=self.poster_frames(0, job.timeline.total_frames, "poster"),
            )
            job.run(command, "rendering", job.output)
            return loudness
        files = self.chunk_files()
        pictures = self.picture_commands(files)
        stem = job.work / "sound.m4a"
        if job.dry_run:  # the commands in the order they start
            loudness = self.sound(stem, threading.Event())
            self.pictures(pictures, threading.Event())
        else:
            loudness = self._beside(stem, pictures)
        self.join(files, stem, target)
        for path in [*files, stem]:
            path.unlink(missing_ok=True)
        return loudness

    def picture_commands(self, files: Sequence[Path]) -> list[FFmpegCommand]:
        """The chunks' pictures, each encoded into its file of ``files`` (see ``chunk_files``)."""
        job = self.job
        return [
            commands.chunk_video_command(
                job.timeline,
                chunk,
                self.inputs,
                path,
                encoding=job.encoding,
                script=job.work / f"{path.stem}.ffgraph",
                ffmpeg_bin=job.ffmpeg_bin,
                poster=self.poster_frames(chunk.start_frame, chunk.end_frame, path.stem),
            )
            for chunk, path in zip(self.chunks, files, strict=True)
        ]

    def join(self, files: Sequence[Path], stem: Path, target: Path) -> None:
        """The last step of a chunked render: the chunk ``files`` and the sound ``stem`` copied into ``target``."""
        job = self.job
        concat = job.work / "chunks.ffconcat"
        concat.write_text(commands.concat_list(files), encoding="utf-8")
        command = commands.join_command(job.timeline, self.inputs, concat, stem, target, ffmpeg_bin=job.ffmpeg_bin)
        job.run(command, "joining", job.output)

    def poster_frames(self, start: int, end: int, name: str) -> PosterFrames:
        """The poster's candidates among frames ``start..end`` of the tour, saved as ``name-NN.bmp`` images."""
        (self.job.work / "posters").mkdir(exist_ok=True)
        picks = tuple(frame - start for frame in candidate_frames(self.job.timeline) if start <= frame < end)
        return PosterFrames(picks, self.job.work / "posters" / f"{name}-%02d.bmp")

    def chunk_files(self) -> list[Path]:
        return [self.job.work / f"chunk-{k:04d}.mp4" for k in range(len(self.chunks))]

    def saved_posters(self) -> list[Path]:
        """The candidate images the render saved, in tour order."""
        if len(self.chunks) <= 1:
            return self.poster_frames(0, self.job.timeline.total_frames, "poster").saved()
        pairs = zip(self.chunks, self.chunk_files(), strict=True)
        return [p for c, f in pairs for p in self.poster_frames(c.start_frame, c.end_frame, f.stem).saved()]

    def _beside(self, stem: Path, pictures: list[FFmpegCommand]) -> Loudness:
        """The sound in a background thread while the pictures encode in this one. Whichever fails first (or
        Ctrl-C, which only this thread receives) sets ``stop``; the other branch sees it at its next progress
        report (twice a second) and its ffmpeg is terminated by the runner. The first real error is raised."""
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sound") as pool:
            sound = pool.submit(self.sound, stem, stop)
            try:
                self.pictures(pictures, stop)
                return sound.result()
            except BaseException as error:
                stop.set()
                wait([sound])
                cause = sound.exception()
                if isinstance(error, _Stopped) and cause is not None and not isinstance(cause, _Stopped):
                    raise cause from None
                raise

    def measure(self) -> Loudness:
        """Pass 1 of the one-graph render: the mix measured with ``ebur128``. A preview skips it (loudnorm's
        one-pass dynamic mode)."""
        job = self.job
        if job.preview:
            return job.loudness
        stats = job.work / "loudness.txt"
        command = commands.measure_command(
            job.timeline, self.inputs, stats, script=job.work / "measure.ffgraph", ffmpeg_bin=job.ffmpeg_bin
        )
        job.run(command, "measuring loudness")
        return self._measured(stats)

    def _measured(self, stats: Path) -> Loudness:
        """The targets with what pass 1 wrote into ``stats`` (nothing in a dry run)."""
        if self.job.dry_run:
            return self.job.loudness
        measured = parse_ebur128_stats(stats.read_text(encoding="utf-8"))
        return dataclasses.replace(self.job.loudness, measured=measured)

    def sound(self, stem: Path, stop: threading.Event) -> Loudness:
        """The sound branch: the mix section by section, pass 1 on it, then the stem (see ``sections``). Silent
        (the picture has the progress bar); checks ``stop`` between its steps and sets it when it fails, so the
        pictures stop too."""
        job = self.job
        try:
            music = job.work / "music.f32" if job.timeline.music else None
            mix, files = self._mix_steps(music)
            stats = job.work / "loudness.txt"
            measure = sections.measure_command(job.timeline, files, stats, ffmpeg_bin=job.ffmpeg_bin)
            for command, what in mix:
                self._sound_step(command, what, stop)
            self._remove([music] if music is not None else [])  # the sections hold it now
            loudness = job.loudness
            if not job.preview:  # a preview skips pass 1 (loudnorm's one-pass dynamic mode)
                self._sound_step(measure, "measuring loudness", stop)
                loudness = self._measured(stats)
            command = sections.sound_command(
                job.timeline, files, stem, encoding=job.encoding, loudness=loudness, ffmpeg_bin=job.ffmpeg_bin
            )
            self._sound_step(command, "sound stem", stop)
            self._remove(files)
            return loudness
        except BaseException:
            stop.set()
            raise

    def _mix_steps(self, music: Path | None) -> tuple[list[tuple[FFmpegCommand, str]], list[Path]]:
        """The music beds alone (into ``music``), then the mix section by section over them: the commands, and
        the raw files of the sections they write."""
        job = self.job
        steps = (
            [] if music is None else [(sections.music_command(job.timeline, music, ffmpeg_bin=job.ffmpeg_bin), "music")]
        )
        planned = self.sound_sections()
        files = [job.work / f"mix-{k:04d}.f32" for k in range(len(planned))]
        for k, (section, path) in enumerate(zip(planned, files, strict=True)):
            command = sections.section_command(
                job.timeline, section, self.inputs.ducking, music, path, ffmpeg_bin=job.ffmpeg_bin
            )
            steps.append((command, f"sound section {k + 1}/{len(planned)}"))
        return steps, files

    def sound_sections(self) -> tuple[sections.SoundSection, ...]:
        """The chunked render's sound cut into sections, with the sources each one opens."""
        voice_ms = {path: info.duration_ms for path, info in self.job.checked.media.items()}
        return sections.plan_sections(self.job.timeline, voice_ms, self.inputs.ducking, self.job.section_seconds)

    def _sound_step(self, command: FFmpegCommand, what: str, stop: threading.Event) -> None:
        """One step of the sound branch, in the background at the lowest priority: the picture's chunks leave a
        core partly idle (x264's frame threads wait on each other, each chunk starts on one core), and the sound
        should take only that, not the cores from the pictures (``bench/tour_steps.py`` shows the timeline)."""
        if stop.is_set():
            raise _Stopped
        self.job.run(command, what, on_progress=_stopper(stop), quiet=True, background=True)

    def _remove(self, paths: Sequence[Path]) -> None:
        """Temporary sound files read for the last time (a dry run wrote none)."""
        if not self.job.dry_run:
            for path in paths:
                path.unlink()

    def pictures(self, pictures: list[FFmpegCommand], stop: threading.Event) -> None:
        if self.job.parallel_chunks > 1 and not self.job.dry_run:
            self._parallel(pictures, stop)
            return
        for k, command in enumerate(pictures):
            if stop.is_set():
                raise _Stopped
            self.job.run(command, f"picture {k + 1}/{len(pictures)}", on_progress=_stopper(stop))

    def _parallel(self, pictures: list[FFmpegCommand], stop: threading.Event) -> None:
        """Chunks ``parallel_chunks`` at a time. A failure or an interrupt stops the others through ``stop``."""
        check = _stopper(stop)

        def one(k: int, command: FFmpegCommand) -> None:
            if stop.is_set():
                raise _Stopped
            self.job.run(command, f"picture {k + 1}/{len(pictures)}", on_progress=check, quiet=True)

        with ThreadPoolExecutor(max_workers=self.job.parallel_chunks) as pool:
            futures = [pool.submit(one, k, command) for k, command in enumerate(pictures)]
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
