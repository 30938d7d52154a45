"""A render job: what either engine needs to render a checked, planned tour, decided once by ``render_tour``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from streamkit.media.commands import FFmpegCommand
from streamkit.media.loudness import Loudness
from streamkit.media.probe import MediaInfo
from streamkit.media.publish import verify_media
from streamkit.media.runner import ProgressCallback, run_ffmpeg
from streamkit.tours import spec
from streamkit.tours.check import CheckedTour
from streamkit.tours.timeline import Timeline

AUDIO_BITRATE = "160k"
# a preview is for checking the cut, not the picture: the fastest preset, and no finer than this
PREVIEW_CRF = 28
PREVIEW_PRESET = "ultrafast"
PREVIEW_AUDIO_BITRATE = "96k"


@dataclass(frozen=True)
class Encoding:
    crf: int
    preset: str
    audio_bitrate: str
    threads: int  # x264's threads: fixed, since they shape the pictures


def encoding_for(output: spec.Output, *, preview: bool, threads: int) -> Encoding:
    """The spec's encoder settings, or a preview's."""
    if preview:
        return Encoding(max(output.crf, PREVIEW_CRF), PREVIEW_PRESET, PREVIEW_AUDIO_BITRATE, threads)
    return Encoding(output.crf, output.preset, AUDIO_BITRATE, threads)


def loudness_targets(loudness: spec.Loudness) -> Loudness:
    """The spec's loudness targets, not yet measured."""
    return Loudness(loudness.target_lufs, loudness.target_true_peak, loudness.target_lra)


@dataclass(frozen=True, kw_only=True)
class RenderJob:
    """One tour to render to ``output``, with the files it writes on the way kept in ``work``."""

    checked: CheckedTour
    timeline: Timeline
    output: Path
    work: Path
    encoding: Encoding
    loudness: Loudness  # the targets; an engine returns them with what it measured
    burn: bool  # captions burned into the picture
    ffmpeg_bin: str
    console: Console
    dry_run: bool
    preview: bool  # a preview skips the loudness measurement (loudnorm's one-pass mode)
    show_progress: bool
    chunk_frames: int  # the ffmpeg engine's picture chunks
    parallel_chunks: int  # chunk processes at once
    section_seconds: float  # the ffmpeg engine's sound sections

    def __getstate__(self) -> dict[str, object]:
        """A job travels to farm workers without its console: each process prints to its own."""
        return {name: value for name, value in self.__dict__.items() if name != "console"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, console=Console(stderr=True))

    def verify(self) -> Callable[[Path], MediaInfo]:
        """The check a finished MP4 must pass: the planned duration to a frame, with sound."""
        frame_ms = 1000 / float(self.timeline.fps)
        return verify_media(self.timeline.duration_ms, tolerance_ms=round(frame_ms) + 1, need_audio=True)

    def run(
        self,
        command: FFmpegCommand,
        what: str,
        out: Path | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        quiet: bool = False,
        background: bool = False,
    ) -> None:
        """Run one step of the render (print it in a dry run), its script files written into the work folder
        first and removed after (a dry run keeps them for whoever runs the commands by hand)."""
        command.write_scripts()
        try:
            run_ffmpeg(
                command.argv,
                expected_duration_ms=command.expected_duration_ms,
                description=what,
                dry_run=self.dry_run,
                show_progress=self.show_progress and not quiet,
                on_progress=on_progress,
                console=self.console,
                output_path=out,
                background=background,
            )
        finally:
            if not self.dry_run:
                command.cleanup()


@dataclass(frozen=True)
class Rendered:
    """What an engine reports: the loudness the sound was normalised with (measured unless a preview or a dry
    run), and the poster candidates it saved while rendering."""

    loudness: Loudness
    posters: tuple[Path, ...] = ()
