"""Benchmark: the sample tour with the ffmpeg engine, the moviepy engine and the floor, in one run.

    python bench/tour_engines.py [--size 1280x720] [--samples DIR]

The spec is ``config/tours/sample-tour.yaml`` at the chosen size (frame rate, encoder preset and CRF as the spec
says). The floor is ``bench/tour.py``'s: one bare libx264 encode of a lavfi source of the same duration, size,
frame rate and encoder settings. Each measurement runs in its own Python process (``bench/tour.py --one``) for
the floor, and here for the engines, so wall times and peak RSS do not leak between them. It prints wall times,
moviepy/ffmpeg (expected >= 5) and each engine against the floor.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import tour as tour_bench  # noqa: E402  (bench/tour.py: the spec and the floor are shared, not copied)


def engine_one(engine: str, spec: Path, out: Path) -> dict[str, float]:
    """Inside a child process: render with one engine, report wall time, duration and peak RSS (self+children)."""
    from streamkit.tours.render import RenderOptions, render_tour

    began = time.monotonic()
    result = render_tour(spec, out, RenderOptions(show_progress=False, engine=engine))  # type: ignore[arg-type]
    wall = time.monotonic() - began
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall_s": wall, "duration_ms": result.timeline.duration_ms, "python_rss_mb": own, "ffmpeg_rss_mb": children}


def measure_engine(engine: str, spec: Path, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--engine-one", engine, str(spec), str(out)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def sized_spec(spec: Path, size: str) -> Path:
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data.setdefault("output", {})["size"] = size
    spec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1280x720", help="output (and sample) size, WIDTHxHEIGHT")
    parser.add_argument("--samples", type=Path, default=None, help="sample media folder (default var/bench-<size>)")
    parser.add_argument("--engine-one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_one:
        engine, spec, out = args.engine_one
        print(json.dumps(engine_one(engine, Path(spec), Path(out))))
        return

    from streamkit.media.samples import generate

    width, height = (int(v) for v in args.size.split("x"))
    samples = args.samples or tour_bench.ROOT / "var" / f"bench-samples-{args.size}"
    print(f"samples at {args.size} in {samples} (generated once) ...", flush=True)
    generate(samples, width=width, height=height)
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-engines-") as tmp:
        folder = Path(tmp)
        spec = sized_spec(tour_bench.make_spec(samples, folder, 1), args.size)
        by_ffmpeg = measure_engine("ffmpeg", spec, folder / "ffmpeg.mp4")
        by_moviepy = measure_engine("moviepy", spec, folder / "moviepy.mp4")
        floor = floor_for(spec, folder, int(by_ffmpeg["duration_ms"]), args.size)
    print()
    print(f"tour {by_ffmpeg['duration_ms'] / 1000:.1f} s at {args.size}")
    print(f"{'':>8} {'wall s':>8} {'x floor':>8} {'python RSS MB':>14} {'ffmpeg RSS MB':>14}")
    for name, row in (("floor", floor), ("ffmpeg", by_ffmpeg), ("moviepy", by_moviepy)):
        ffmpeg_rss = row.get("ffmpeg_rss_mb", row.get("peak_rss_mb", 0))
        print(f"{name:>8} {row['wall_s']:>8.1f} {row['wall_s'] / floor['wall_s']:>8.2f} "
              f"{row.get('python_rss_mb', 0):>14.0f} {ffmpeg_rss:>14.0f}")  # fmt: skip
    print(f"\nmoviepy / ffmpeg engine: {by_moviepy['wall_s'] / by_ffmpeg['wall_s']:.2f}x (expected >= 5)")


def floor_for(spec: Path, folder: Path, duration_ms: int, size: str) -> dict[str, float]:
    """``bench/tour.py``'s floor at ``size`` (its command is for 1280x720, so the size is swapped in its child)."""
    done = subprocess.run(
        [sys.executable, "-c", FLOOR_AT_SIZE, str(BENCH), size, str(spec), str(folder / "floor.mp4"), str(duration_ms)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"floor failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# runs bench/tour.py's floor with its 1280x720 lavfi size replaced, in a fresh process
FLOOR_AT_SIZE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import streamkit.media.runner as runner
import tour
size = sys.argv[2]
real = runner.run_ffmpeg
def sized(argv, **kw):
    return real([a.replace("size=1280x720", "size=" + size) for a in argv], **kw)
runner.run_ffmpeg = sized
print(json.dumps(tour.run_one("floor", Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))))
"""


if __name__ == "__main__":
    main()
