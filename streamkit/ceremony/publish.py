"""After a ceremony: publish each recording to the archive, as MP4 with its chapters and a poster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streamkit.ceremony.rundown import Rundown
from streamkit.errors import MediaError
from streamkit.media.commands import remux_mp4_argv
from streamkit.media.poster import best_frame_jpeg, spread_times
from streamkit.media.probe import probe
from streamkit.media.publish import atomic_output, verify_media
from streamkit.media.runner import run_ffmpeg
from streamkit.media.tools import ffmpeg_binary

if TYPE_CHECKING:
    from streamkit.archive.store import ArchiveStore


@dataclass(frozen=True)
class PublishedRecording:
    recording: Path
    entry_id: int
    title: str


def recording_title(rundown: Rundown, part: int, parts: int) -> str:
    """The rundown's title; a run split by a crash or a stop gets a part number for each file."""
    return rundown.title if parts == 1 else f"{rundown.title}（{part}/{parts}）"


def prepare_recording(recording: Path) -> tuple[Path, Path]:
    """An MP4 copy of the recording (streams copied, not re-encoded) and a poster beside it."""
    info = probe(recording)
    if not info.has_video:
        raise MediaError(recording, "the recording has no video to publish")
    mp4 = recording.with_suffix(".mp4") if recording.suffix != ".mp4" else recording
    if mp4 != recording:
        with atomic_output(mp4, verify_media(info.duration_ms, tolerance_ms=500)) as partial:
            run_ffmpeg(remux_mp4_argv(recording, partial, ffmpeg_bin=ffmpeg_binary()), show_progress=False)
    poster = recording.with_suffix(".jpg")
    with atomic_output(poster) as partial:
        partial.write_bytes(best_frame_jpeg(mp4, spread_times(info.duration_ms)))
    return mp4, poster


def publish_recordings(
    store: ArchiveStore, rundown: Rundown, recordings: Sequence[str | Path], *, event_slug: str | None = None
) -> list[PublishedRecording]:
    """Publish every recording of a run; chapters come from the ``.vtt`` the runner wrote beside each one."""
    from streamkit.archive.publish import publish_media

    published = []
    files = [Path(r) for r in recordings]
    for part, recording in enumerate(files, 1):
        mp4, poster = prepare_recording(recording)
        chapters = recording.with_suffix(".vtt")
        title = recording_title(rundown, part, len(files))
        entry = publish_media(
            store,
            kind="recording",
            title=title,
            media_path=mp4,
            duration_ms=probe(mp4).duration_ms,
            poster=poster,
            chapters_vtt=chapters if chapters.exists() else None,
            venue=rundown.venue or None,
            event_slug=event_slug,
        )
        published.append(PublishedRecording(recording, entry.id, title))
    return published
