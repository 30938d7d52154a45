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
