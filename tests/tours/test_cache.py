"""The stills cache: a used entry stays, one nothing used for a month goes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from streamkit.cache import UNUSED_DAYS, prune
from streamkit.tours import stills


def test_prune_deletes_only_entries_unused_for_a_month(tmp_path: Path) -> None:
    old, recent = tmp_path / "old.png", tmp_path / "recent.png"
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    now = time.time()
    os.utime(old, (now, now - (UNUSED_DAYS + 1) * 86400))
    os.utime(recent, (now, now - (UNUSED_DAYS - 1) * 86400))
    assert prune(tmp_path, now=now) == 1
    assert not old.exists() and recent.exists()
    assert prune(tmp_path / "missing") == 0


def test_a_cache_hit_marks_the_still_as_used(tmp_path: Path) -> None:
    key = "photo:abc:(32, 18):blur"
    target, done = stills._cached(tmp_path, key)
    assert not done
    target.write_bytes(b"png")
    long_ago = time.time() - (UNUSED_DAYS + 5) * 86400
    os.utime(target, (long_ago, long_ago))
    again, done = stills._cached(tmp_path, key)
    assert done and again == target
    assert prune(tmp_path) == 0 and target.exists()  # just used: kept


def test_a_lower_third_is_cached_cropped_and_placed_where_the_full_frame_had_it(tmp_path: Path) -> None:
    from PIL import Image

    from streamkit.overlays import render_lower_third

    size = (320, 180)
    path, (x, y) = stills.prepare_lower_third("王志国", "1921—1947", size, tmp_path)
    again = stills.prepare_lower_third("王志国", "1921—1947", size, tmp_path)  # from the cache
    assert again == (path, (x, y))
    with Image.open(path) as cropped:
        assert cropped.width < size[0] * 0.9 or cropped.height < size[1] * 0.5  # smaller than the frame
        assert x % 2 == 0 and y % 2 == 0 and cropped.width % 2 == 0 and cropped.height % 2 == 0
        placed = Image.new("RGBA", size, (0, 0, 0, 0))
        placed.paste(cropped, (x, y))
    full = render_lower_third("王志国", "1921—1947", size=size)
    assert placed.tobytes() == full.tobytes()  # nothing visible was cut off, nothing moved


def test_a_raw_still_holds_what_ffmpeg_makes_of_the_png_and_is_reused(tmp_path: Path) -> None:
    """The raw 4:4:4 still the graph reads equals ffmpeg's own RGB -> YUV conversion of the PNG within one level
    (swscale dithers its last bit); a second call reuses the file and marks it used."""
    import subprocess

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(3)
    rgb = np.concatenate(
        [rng.integers(0, 256, (24, 37, 3)), np.tile(np.linspace(0, 255, 37)[None, :, None], (12, 1, 3))]
    ).astype(np.uint8)  # noise, then a grey ramp to both ends of the range; an odd width
    png = tmp_path / "still.png"
    Image.fromarray(rgb).save(png)
    raw = stills.raw_still(png)
    ours = np.frombuffer(raw.read_bytes(), np.uint8).reshape(3, 36, 37).astype(int)
    theirs = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(png), "-vf", "format=yuv444p", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    expected = np.frombuffer(theirs, np.uint8).reshape(3, 36, 37).astype(int)
    assert np.abs(ours - expected).max() <= 1
    assert ours[0, -1, 0] == 16 and ours[0, -1, -1] == 235  # black and white in limited range
    long_ago = time.time() - (UNUSED_DAYS + 5) * 86400
    os.utime(raw, (long_ago, long_ago))
    assert stills.raw_still(png) == raw and prune(tmp_path) == 0
