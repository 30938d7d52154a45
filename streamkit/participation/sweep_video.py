"""A short video of a proxy sweep, uploaded by staff and transcoded to an MP4 every browser plays.

The upload is probed first (a video stream, at most ``MAX_VIDEO_SECONDS``), transcoded with the media package's
plain H.264/AAC command at the lowest CPU priority, verified by probing the result and published atomically under
the private folder; only the family's page serves it. A file that is not a video is refused with one reason.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError, MediaError
from streamkit.media.commands import transcode_argv
from streamkit.media.probe import probe
from streamkit.media.publish import atomic_output
from streamkit.media.runner import run_ffmpeg
from streamkit.media.tools import ffmpeg_binary
from streamkit.participation.family_models import ProxySweep, SweepStatus

MAX_VIDEO_SECONDS = 300
MAX_VIDEO_BYTES = 500 << 20


class VideoRefused(ArchiveError):
    """The upload is not a video this page can use; ``reason`` is one of ``not-video``, ``too-long``, ``failed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"video refused: {reason}")
        self.reason = reason


def add_sweep_video(store: ArchiveStore, sweep_id: int, upload: Path, private_dir: Path, *, actor: str) -> str:
    """Transcode ``upload`` into the order's video (replacing an earlier one); its name under ``private_dir``."""
    with store.session() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None or order.status not in (SweepStatus.REQUESTED.value, SweepStatus.SCHEDULED.value):
            raise ArchiveError("this work order is closed (done or cancelled)")
    try:
        info = probe(upload)
    except MediaError:
        raise VideoRefused("not-video") from None
    if not info.has_video or info.duration_ms < 1000:  # a still picture probes as one frame of video
        raise VideoRefused("not-video")
    if info.duration_s > MAX_VIDEO_SECONDS:
        raise VideoRefused("too-long")
    name = f"sweeps/{secrets.token_hex(8)}.mp4"
    target = private_dir / name
    try:
        with atomic_output(target, verify=probe) as partial:
            argv = transcode_argv(upload, partial, ffmpeg_bin=ffmpeg_binary(), max_duration_s=MAX_VIDEO_SECONDS)
            run_ffmpeg(argv, show_progress=False, background=True, output_path=target)
    except MediaError:
        raise VideoRefused("failed") from None
    with store.transaction() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None or order.status not in (SweepStatus.REQUESTED.value, SweepStatus.SCHEDULED.value):
            target.unlink(missing_ok=True)
            raise ArchiveError("this work order is closed (done or cancelled)")
        order.video = name
        ArchiveStore.audit(
            session,
            actor,
            "sweep.video.upload",
            f"sweep:{sweep_id} (martyr {order.martyr_id})",
            f"{info.duration_s:.0f} s",
        )
    return name
