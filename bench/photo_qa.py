"""Benchmark the tomb photo checks on 12-megapixel JPEGs against a plain full-size decode of the same files.

Generates N photos of 4000x3000 once (kept in the folder given, reused by later runs), then, in one run and with the
same process pool:

- a plain ``cv2.imread`` of every photo at full size: the baseline;
- the photo checks (``measure_photo``: header, reduced-size decode, sharpness, clipped pixels, dHash).

Both are printed as photos/s, with their ratio.

    .venv/bin/python bench/photo_qa.py [--photos 200] [--jobs 2] [--folder var/bench/photo-qa]

Target: at least 40 photos/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from streamkit.register.photo_checks import PhotoChecks
from streamkit.register.photo_qa import measure_photo

WIDTH, HEIGHT = 4000, 3000
TARGET = 40.0


def generate(folder: Path, count: int) -> list[Path]:
    """``count`` distinct 4000x3000 JPEGs (granite grain and a shifted pattern per photo); existing ones are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    grain = cv2.GaussianBlur(rng.integers(60, 200, (HEIGHT, WIDTH, 3), dtype=np.uint8), (3, 3), 0)
    paths = [folder / f"tomb-{index:05d}.jpg" for index in range(count)]
    for index, path in enumerate(paths):
        if path.exists():
            continue
        picture = np.roll(grain, index * 37, axis=1)
        cv2.rectangle(picture, (400 + index % 50 * 40, 500), (2200, 2500), (90, 90, 90), -1)
        cv2.putText(picture, f"{index:05d}", (800, 1700), cv2.FONT_HERSHEY_SIMPLEX, 20, (230, 230, 230), 40)
        partial = path.with_name(f".{path.stem}.partial.jpg")
        if not cv2.imwrite(str(partial), picture, [cv2.IMWRITE_JPEG_QUALITY, 90]):
            sys.exit(f"cannot write {partial}")
        os.replace(partial, path)
    return paths


def full_decode(path: Path) -> int:
    image = cv2.imread(str(path))
    return 0 if image is None else int(image.shape[0])


def checked(path: Path) -> int:
    return measure_photo(path, PhotoChecks()).width


def rate(pool: ProcessPoolExecutor, work: Callable[[Path], int], paths: list[Path]) -> float:
    start = time.perf_counter()
    results = list(pool.map(work, paths, chunksize=4))
    elapsed = time.perf_counter() - start
    if not all(results):
        sys.exit(f"{work.__name__}: a photo did not decode")
    return len(paths) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=Path("var/bench/photo-qa"))
    args = parser.parse_args()
    paths = generate(args.folder, args.photos)
    size_mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
    with ProcessPoolExecutor(args.jobs) as pool:
        list(pool.map(full_decode, paths[: args.jobs]))  # start the workers and import OpenCV before timing
        baseline = rate(pool, full_decode, paths)
        checks = rate(pool, checked, paths)
    print(f"photos: {len(paths)} of {WIDTH}x{HEIGHT} JPEG, {size_mb:.1f} MB each; processes: {args.jobs}")
    print(f"baseline, cv2.imread at full size: {baseline:.1f} photos/s")
    print(f"photo checks (reduced decode):     {checks:.1f} photos/s ({checks / baseline:.2f}x the baseline)")
    print(f"target ≥ {TARGET:.0f} photos/s: {'met' if checks >= TARGET else 'not met'}")


if __name__ == "__main__":
    main()
