"""Overlay rendering speed, as ratios against baselines measured in the same run (never part of `make test`).

    .venv/bin/python bench/overlays.py [--frames 50] [--size 1920x1080]

1. Name-roll frames with the row cache vs. drawing every visible row afresh for each frame (the baseline).
2. Name-roll frame rate against real time at 25 fps (above 1.0: frames are made faster than they play).
3. PNG writing at compress_level=1 (what the renderer uses) vs. Pillow's default level 6.
4. A lower-third still against the same still saved as PNG (drawing vs. encoding cost).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from streamkit.media.samples import register_rows
from streamkit.overlays import NameRoll, RegisterEntry, render_lower_third


def timed(action: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--names", type=int, default=400)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    rows = []
    for seed in range(1, args.names // 40 + 2):  # the sample generator makes 40 names per seed
        rows += register_rows(seed, [f"p{i}.jpg" for i in range(40)])
    entries = [RegisterEntry.model_validate(r) for r in rows[: args.names]]
    roll = NameRoll(entries, size=(width, height), fps=25)
    start = roll.frame_count // 3
    frames = range(start, start + args.frames)

    def cached() -> None:
        for i in frames:
            roll.frame(i)

    def uncached() -> None:
        for i in frames:
            roll._row_cache.clear()  # the baseline: every visible row drawn again for every frame
            roll.frame(i)

    t_uncached = timed(uncached, 1) / args.frames
    roll._row_cache.clear()
    t_cached = timed(cached, 1) / args.frames
    print(f"name roll {width}x{height}, {len(entries)} names, {roll.columns} columns, {roll.duration_s:.1f} s long")
    print(
        f"  frame with row cache: {t_cached * 1000:.1f} ms; baseline without: {t_uncached * 1000:.1f} ms; "
        f"speed-up x{t_uncached / t_cached:.2f}"
    )
    print(f"  frames made vs. played at 25 fps: x{(1 / t_cached) / 25:.2f} real time")

    image = roll.frame(start)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "f.png"
        fast = timed(lambda: image.save(target, compress_level=1), 5)
        default = timed(lambda: image.save(target), 5)
        print(
            f"  PNG write level 1: {fast * 1000:.1f} ms vs. default level 6: {default * 1000:.1f} ms; "
            f"x{default / fast:.2f} faster"
        )
        draw = timed(lambda: render_lower_third("李青云", "1922–1949 第一纵队第三团", size=(width, height)), 5)
        still = render_lower_third("李青云", "1922–1949 第一纵队第三团", size=(width, height))
        save = timed(lambda: still.save(target), 5)
        print(
            f"lower-third {width}x{height}: draw {draw * 1000:.1f} ms, PNG save {save * 1000:.1f} ms "
            f"(draw/save x{draw / save:.2f})"
        )


if __name__ == "__main__":
    main()
