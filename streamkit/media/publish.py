"""Publish outputs atomically: write ``.<name>.partial<ext>`` beside the target, verify, then rename.

A crash, Ctrl-C or a full disk never leaves a file under the final name, and the partial file is removed.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from streamkit.errors import MediaError
from streamkit.media.probe import MediaInfo, probe

# the write failures that mean "no room here" rather than a bug: a full disk, a quota, a file too big for the disk
FULL_DISK = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def partial_path(target: Path) -> Path:
    """``out/tour.mp4`` -> ``out/.tour.partial.mp4`` (the extension stays so ffmpeg picks the muxer)."""
    return target.with_name(f".{target.stem}.partial{target.suffix}")


@contextmanager
def atomic_output(target: str | Path, verify: Callable[[Path], object] | None = None) -> Iterator[Path]:
    """Yield a partial path to write; on success verify it and move it to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)
    partial.unlink(missing_ok=True)
    try:
        yield partial
        if not partial.exists():
            raise MediaError(target, "the output was not written")
        if verify is not None:
            verify(partial)
        os.replace(partial, target)
    except OSError as exc:
        if exc.errno not in FULL_DISK:
            raise
        free = shutil.disk_usage(target.parent).free
        raise MediaError(target, f"out of disk space ({os.strerror(exc.errno)}; {free} bytes free)") from None
    finally:
        partial.unlink(missing_ok=True)


def verify_media(
    expected_duration_ms: int | None = None,
    *,
    tolerance_ms: int = 200,
    need_video: bool = True,
    need_audio: bool = False,
) -> Callable[[Path], MediaInfo]:
    """A verifier for ``atomic_output``: the file probes, has the streams, and lasts as long as planned."""

    def check(path: Path) -> MediaInfo:
        info = probe(path)
        if need_video and not info.has_video:
            raise MediaError(path, "output has no video stream")
        if need_audio and not info.has_audio:
            raise MediaError(path, "output has no audio stream")
        if expected_duration_ms is not None and abs(info.duration_ms - expected_duration_ms) > tolerance_ms:
            raise MediaError(
                path,
                f"output lasts {info.duration_ms / 1000:.3f} s, expected {expected_duration_ms / 1000:.3f} s",
            )
        return info

    return check


def write_text_atomic(target: str | Path, text: str) -> None:
    """Write a small text file (a caption file, a manifest) atomically."""
    target = Path(target)
    with atomic_output(target) as partial, partial.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
