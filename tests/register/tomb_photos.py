"""Generated tomb photos: a textured stone with blocks and lines, different for every seed, and its faulty forms."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ORIENTATION_TAG = 0x0112


def stone(seed: int, width: int = 640, height: int = 480) -> np.ndarray:
    """A grey headstone picture: granite grain, a few engraved blocks and strokes placed by ``seed``."""
    rng = np.random.default_rng(seed)
    picture = cv2.GaussianBlur(rng.integers(70, 190, (height, width), dtype=np.uint8), (3, 3), 0)
    for _ in range(6):
        x, y = int(rng.integers(0, width - 60)), int(rng.integers(0, height - 60))
        w, h = int(rng.integers(30, width // 2)), int(rng.integers(30, height // 2))
        cv2.rectangle(picture, (x, y), (x + w, y + h), int(rng.integers(20, 235)), -1)
    for _ in range(8):
        start = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        end = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(picture, start, end, int(rng.integers(0, 255)), 3)
    return picture


def blurred(picture: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(picture, (0, 0), 8)


def dark(picture: np.ndarray) -> np.ndarray:
    return np.clip(picture.astype(np.int16) - 200, 0, 255).astype(np.uint8)


def bright(picture: np.ndarray) -> np.ndarray:
    return np.clip(picture.astype(np.int16) + 200, 0, 255).astype(np.uint8)


def save(picture: np.ndarray, path: Path, *, orientation: int = 1, quality: int = 90) -> Path:
    """Write a JPEG (or PNG, by suffix), with an EXIF orientation tag when it is not 1."""
    image = Image.fromarray(picture)
    exif = Image.Exif()
    if orientation != 1:
        exif[ORIENTATION_TAG] = orientation
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"quality": quality} if path.suffix.lower() in (".jpg", ".jpeg") else {}
    image.save(path, exif=exif.tobytes(), **options)
    return path


def save_turned(picture: np.ndarray, path: Path) -> Path:
    """Store the picture turned a quarter to the left, tagged orientation 6 so that a viewer shows it upright."""
    return save(np.rot90(picture, 1), path, orientation=6)
