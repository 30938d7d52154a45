"""Benchmark: where the wall time of one sample-tour render goes, step by step (1280x720 30 fps).

    python bench/tour_steps.py [--samples var/bench-samples] [--parallel 2]

Every ffmpeg run of the render is timed (start and end from the render's start, and which thread ran it), and
so is the rename that publishes the MP4. It prints each step, the total wall time, and the time from the last
picture chunk finishing to the output being published (the part of the render that waits on nothing but itself).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tour import make_spec  # type: ignore[import-not-found]

import streamkit.tours.ffmpeg.engine as engine_module
import streamkit.tours.job as job_module
import streamkit.tours.render as render_module

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=ROOT / "var" / "bench-samples")
    parser.add_argument("--parallel", type=int, default=1, help="chunk processes at once (default 1)")
    args = parser.parse_args()
    from streamkit.media.samples import generate

    generate(args.samples, width=1280, height=720)
    steps: list[tuple[str, str, float, float]] = []
    began = time.monotonic()
    original_run = job_module.run_ffmpeg
    original_publish = engine_module.atomic_output

    def timed_run(argv: Any, **kwargs: Any) -> None:
        start = time.monotonic() - began
        try:
            original_run(argv, **kwargs)
        finally:
            steps.append((Path(argv[-1]).name, threading.current_thread().name, start, time.monotonic() - began))

    @contextlib.contextmanager
    def timed_publish(target: Any, verify: Any = None) -> Iterator[Path]:
        with original_publish(target, verify) as partial:
            yield partial
        steps.append(("published " + Path(target).name, threading.current_thread().name, 0, time.monotonic() - began))

    job_module.run_ffmpeg = timed_run  # type: ignore[assignment]
    engine_module.atomic_output = timed_publish  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp:
        spec = make_spec(args.samples, Path(tmp), 1)
        began = time.monotonic()
        options = render_module.RenderOptions(show_progress=False, parallel_chunks=args.parallel)
        render_module.render_tour(spec, Path(tmp) / "tour.mp4", options)
        total = time.monotonic() - began
    for name, thread, start, end in steps:
        print(f"{name:28} {thread:12} {start:7.2f} -> {end:7.2f}  ({end - start:5.2f} s)")
    last_chunk = max(end for name, _, _, end in steps if name.startswith("chunk-"))
    published = next(end for name, _, _, end in steps if name.startswith("published tour.mp4"))
    print(f"total wall {total:.2f} s; last chunk done -> published {published - last_chunk:.2f} s")


if __name__ == "__main__":
    main()
