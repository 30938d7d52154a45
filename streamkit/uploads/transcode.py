"""After an upload's last byte: probe it, refuse what is not a video, else make the MP4, the HLS ladder and the
poster, and publish them (with the captions given) as a recording in the archive.

``transcode`` runs the same way in a thread of the site or as an RQ job on a farm worker: it reads and writes only
the upload folder, the archive's database and its media folder, and reports through the upload's state file.
Nothing reaches the archive until every file is made and checked; then ``publish_media`` places the files and
commits the entry in one go. A failure leaves no entry and removes the scratch files.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from streamkit.archive.publish import publish_media
from streamkit.archive.store import ArchiveStore
from streamkit.errors import StreamkitError
from streamkit.media.hls import HlsVariant, hls_command, tidy_master_playlist
from streamkit.media.poster import best_frame_jpeg, spread_times
from streamkit.media.probe import probe
from streamkit.media.publish import atomic_output, verify_media
from streamkit.media.runner import ProgressState, run_ffmpeg
from streamkit.media.tools import MediaTools, using_media_tools
from streamkit.media.transcode import ladder_for, not_a_video, output_fps, web_mp4_command
from streamkit.uploads.folder import UploadFolder, UploadState

# shares of the progress bar: the MP4 is most of the work, the ladder re-encodes it smaller
MP4_SHARE = 0.6
LADDER_SHARE = 0.35


@dataclass(frozen=True)
class TranscodeJob:
    """Everything a worker needs, picklable for RQ; the database URL may hold a password, so no repr shows it."""

    folder: Path
    upload_id: str
    database_url: str = field(repr=False)
    media_dir: Path
    ladder: tuple[HlsVariant, ...]
    preset: str = "veryfast"
    crf: int = 22
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"


def transcode(job: TranscodeJob) -> int | None:
    """Probe, transcode and publish one upload; returns the archive entry's id (None when it was refused)."""
    with using_media_tools(MediaTools(job.ffmpeg, job.ffprobe)):
        return _transcode(job)


def _transcode(job: TranscodeJob) -> int | None:
    folder = UploadFolder(job.folder)
    upload = folder.load(job.upload_id)
    source = folder.part(upload.id)
    folder.set_state(upload.id, UploadState(status="probing"))
    try:
        info = probe(source)
        why = not_a_video(info)
    except StreamkitError:
        why = "not a media file ffprobe can read"
    if why:
        # refused: the bytes go at once, only the message stays (until it expires)
        folder.discard_bytes(upload.id)
        folder.set_state(upload.id, UploadState(status="refused", problem="not_video", detail=why))
        return None

    def report(progress: float) -> None:
        folder.set_state(upload.id, UploadState(status="transcoding", progress=round(min(progress, 1.0), 3)))

    work = folder.work(upload.id)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        report(0.0)
        mp4 = work / "recording.mp4"
        command = web_mp4_command(source, info, mp4, crf=job.crf, preset=job.preset, ffmpeg_bin=job.ffmpeg)
        with atomic_output(mp4, verify_media(info.duration_ms, tolerance_ms=500, need_audio=True)) as partial:
            argv = [*command.argv[:-1], str(partial)]
            run_ffmpeg(
                argv,
                show_progress=False,
                on_progress=_share(report, info.duration_ms, 0.0, MP4_SHARE),
                output_path=mp4,
                background=True,
            )
        made = probe(mp4)
        captions = Path(upload.captions) if upload.captions else None
        ladder = work / "hls"
        variants = ladder_for(made.video[0].height, job.ladder)
        hls = hls_command(mp4, captions, ladder, variants, output_fps(made), preset=job.preset, ffmpeg_bin=job.ffmpeg)
        run_ffmpeg(
            hls.argv,
            show_progress=False,
            on_progress=_share(report, made.duration_ms, MP4_SHARE, LADDER_SHARE),
            output_path=ladder,
            background=True,
        )
        master = ladder / "master.m3u8"
        master.write_text(tidy_master_playlist(master.read_text(encoding="utf-8")), encoding="utf-8")
        poster = work / "poster.jpg"
        poster.write_bytes(best_frame_jpeg(mp4, spread_times(made.duration_ms)))
        report(MP4_SHARE + LADDER_SHARE)
        store = ArchiveStore(job.database_url, job.media_dir)
        try:
            entry = publish_media(
                store,
                kind="recording",
                title=upload.title,
                media_path=mp4,
                duration_ms=made.duration_ms,
                poster=poster,
                captions_vtt=captions,
                hls_dir=ladder,
                description="",
                published=True,
            )
        finally:
            store.dispose()
    except Exception as error:
        detail = " ".join(str(error).split())[:300] if isinstance(error, StreamkitError) else type(error).__name__
        folder.discard_bytes(upload.id)
        folder.set_state(upload.id, UploadState(status="failed", problem="failed", detail=detail))
        raise
    folder.discard_bytes(upload.id)  # the archive holds its own copies now
    folder.set_state(upload.id, UploadState(status="published", progress=1.0, entry_id=entry.id))
    return entry.id


def _share(
    report: Callable[[float], None], duration_ms: int, start: float, share: float
) -> Callable[[ProgressState], None]:
    """A progress callback that maps one ffmpeg run's time onto its share of the whole bar."""

    def advance(state: ProgressState) -> None:
        done = state.out_time_us / 1000 / duration_ms if duration_ms > 0 else 0.0
        report(start + share * min(max(done, 0.0), 1.0))

    return advance
