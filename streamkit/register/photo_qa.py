"""Quality checks for tomb photos: sharpness, clipped pixels, size, EXIF orientation and a perceptual hash.

Every measure is taken on a grey picture scaled to a fixed longer side, so scores from a phone and a camera compare;
JPEGs are decoded at a reduced size (libjpeg scales while decoding), which the measures allow and which is most of
the speed. The scores are kept; the verdict comes from ``PhotoChecks``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from streamkit.register.photo_checks import PhotoChecks, PhotoScores

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
_ORIENTATION_TAG = 0x0112
_REDUCED = (
    (8, cv2.IMREAD_REDUCED_GRAYSCALE_8),
    (4, cv2.IMREAD_REDUCED_GRAYSCALE_4),
    (2, cv2.IMREAD_REDUCED_GRAYSCALE_2),
)
# The decoder must not turn the picture itself: the orientation is applied once, here, the way Pillow does it.
_NO_TURN = cv2.IMREAD_IGNORE_ORIENTATION


def orient(grey: np.ndarray, orientation: int) -> np.ndarray:
    """Turn a picture as EXIF ``orientation`` says, exactly as ``PIL.ImageOps.exif_transpose`` does."""
    turns = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: a.T,
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.T[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    turn = turns.get(orientation)
    return np.ascontiguousarray(turn(grey)) if turn else grey


def dhash(grey: np.ndarray) -> str:
    """The 64-bit difference hash (9x8 grey, each pixel brighter than its left neighbour?) as 16 hex digits."""
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return f"{int(np.packbits(bits).view('>u8')[0]):016x}"


def _header(data: bytes) -> tuple[int, int, int, str]:
    """Stored width, height, EXIF orientation and format, from the header alone (Pillow decodes lazily)."""
    with Image.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(_ORIENTATION_TAG, 1) if image.format in ("JPEG", "PNG") else 1
        return image.width, image.height, orientation if orientation in range(1, 9) else 1, image.format or ""


def _decode_grey(data: bytes, longer: int, fmt: str, measure_side: int) -> np.ndarray | None:
    flag = cv2.IMREAD_GRAYSCALE
    if fmt == "JPEG":
        flag = next((f for factor, f in _REDUCED if longer // factor >= measure_side), flag)
    return cv2.imdecode(np.frombuffer(data, np.uint8), flag | _NO_TURN)


def measure_photo(path: Path, checks: PhotoChecks = PhotoChecks()) -> PhotoScores:  # noqa: B008 (frozen model)
    """Measure one photo; a file that does not decode as a picture scores as unreadable."""
    try:
        data = Path(path).read_bytes()
        width, height, orientation, fmt = _header(data)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return PhotoScores(readable=False)
    grey = _decode_grey(data, max(width, height), fmt, checks.measure_side)
    if grey is None or grey.size == 0:
        return PhotoScores(width=width, height=height, readable=False)
    grey = orient(grey, orientation)
    scale = checks.measure_side / max(grey.shape)
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    turned = orientation in (5, 6, 7, 8)
    return PhotoScores(
        width=height if turned else width,
        height=width if turned else height,
        orientation=orientation,
        sharpness=round(float(cv2.Laplacian(grey, cv2.CV_64F).var()), 2),
        dark_share=round(float(np.count_nonzero(grey <= 4)) / grey.size, 4),
        bright_share=round(float(np.count_nonzero(grey >= 251)) / grey.size, 4),
        dhash=dhash(grey),
    )


def measure_photos(paths: Sequence[Path], checks: PhotoChecks, *, jobs: int = 1) -> Iterator[PhotoScores]:
    """Measure photos in order, in ``jobs`` processes when more than one (decoding is CPU-bound)."""
    if jobs <= 1 or len(paths) < 2:
        yield from (measure_photo(p, checks) for p in paths)
        return
    with ProcessPoolExecutor(jobs) as pool:
        yield from pool.map(measure_photo, paths, [checks] * len(paths), chunksize=8)


def near_duplicates(hashes: Iterable[tuple[int, str]], distance: int) -> dict[int, int]:
    """For each photo id whose hash is within ``distance`` bits of an earlier one, the earliest such id."""
    pairs = sorted((photo_id, int(h, 16)) for photo_id, h in hashes if h)
    ids = np.array([p for p, _ in pairs], dtype=np.int64)
    values = np.array([h for _, h in pairs], dtype=np.uint64)
    found: dict[int, int] = {}
    for index in range(1, len(values)):
        close = np.flatnonzero(np.bitwise_count(values[:index] ^ values[index]) <= distance)
        if close.size:
            found[int(ids[index])] = int(ids[close[0]])
    return found
