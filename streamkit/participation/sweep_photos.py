"""The photo set of a proxy sweep: each upload goes through the register's photo checks before it is kept.

A photo that fails is refused with its problems and scores and nothing is written. One that passes is kept twice
under the private folder: the original (for staff and the report) and a derivative, turned upright, at most
``DERIVATIVE_SIDE`` pixels and without EXIF (no GPS, no camera serial), which is all the family's page serves.
Both are written beside their final name and renamed, so a crash never leaves half a file under it.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from streamkit.archive.store import ArchiveStore
from streamkit.participation.family_models import ProxySweep, SweepPhoto, SweepStatus
from streamkit.register.photo_checks import PhotoChecks, PhotoScores
from streamkit.register.photo_qa import measure_photo

DERIVATIVE_SIDE = 1600
MAX_PHOTO_BYTES = 20 << 20


@dataclass(frozen=True)
class PhotoVerdict:
    """The checks' scores and problems for one upload; ``photo_id`` is set when it was kept."""

    scores: PhotoScores
    problems: tuple[str, ...]
    photo_id: int | None = None


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def derivative(data: bytes) -> bytes:
    """The picture upright, at most DERIVATIVE_SIDE on its longer side, as a JPEG without metadata."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((DERIVATIVE_SIDE, DERIVATIVE_SIDE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85)
    return out.getvalue()


def add_sweep_photo(
    store: ArchiveStore,
    sweep_id: int,
    data: bytes,
    private_dir: Path,
    *,
    actor: str,
    checks: PhotoChecks = PhotoChecks(),  # noqa: B008 (frozen model)
) -> PhotoVerdict:
    """Check one uploaded photo and keep it in the order's set when it passes; audit-logged either way."""
    folder = private_dir / "sweeps"
    folder.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(8)
    probe = folder / f".{stem}.upload"
    try:
        probe.write_bytes(data)
        scores = measure_photo(probe, checks)
        problems = scores.problems(checks)
        shown = b"" if problems else derivative(data)
    except (Image.DecompressionBombError, OSError, ValueError):  # a picture too large to open, or a broken one
        scores, problems, shown = PhotoScores(readable=False), ("unreadable",), b""
    finally:
        probe.unlink(missing_ok=True)
    with store.transaction() as session:
        order = session.get(ProxySweep, sweep_id)
        if order is None or order.status not in (SweepStatus.REQUESTED.value, SweepStatus.SCHEDULED.value):
            return PhotoVerdict(scores, ("closed",))
        target = f"sweep:{sweep_id} (martyr {order.martyr_id})"
        if problems:
            ArchiveStore.audit(session, actor, "sweep.photo.refused", target, ",".join(problems))
            return PhotoVerdict(scores, problems)
        original, copy = f"sweeps/{stem}.orig", f"sweeps/{stem}.jpg"
        _write_atomically(private_dir / copy, shown)
        _write_atomically(private_dir / original, data)
        photo = SweepPhoto(
            sweep_id=sweep_id,
            original=original,
            derivative=copy,
            width=scores.width,
            height=scores.height,
            sharpness=scores.sharpness,
            dark_share=scores.dark_share,
            bright_share=scores.bright_share,
        )
        session.add(photo)
        session.flush()
        ArchiveStore.audit(session, actor, "sweep.photo", target, f"photo {photo.id} sharpness {scores.sharpness}")
        return PhotoVerdict(scores, (), photo.id)
