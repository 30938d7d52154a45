"""Benchmark: the sample tour at 1280x720 30 fps against the floor (one bare encode of the same length).

    python bench/tour.py [--samples var/bench-samples] [--skip-long] [--skip-moviepy] [--parallel 2] [--pairs 3]

The floor is a single-pass libx264 encode of a lavfi ``testsrc2`` source with the same duration, size, frame
rate and encoder settings: nothing renders that output faster without more encoders. Each measurement runs in
its own Python process. Peak memory is the largest sum of the resident memory of its ffmpeg processes alive at
the same moment (sampled every 50 ms from /proc: the sound renders beside the picture, and ``--parallel`` runs
chunks at once, so one process's ``ru_maxrss`` would understate it). CPU is user + system time of all of them.
The long run is the same tour with its stops repeated 10 times, to see whether memory stays flat as it grows.
The same run also renders the x1 tour with ``--engine moviepy`` and prints its ratio to the ffmpeg engine and
the floor (the ffmpeg engine should be at least 5x faster).

This VM's speed drifts by a quarter within minutes (the same floor took 10.6 s and 14.0 s three minutes apart),
so the x1 tour and its floor are measured ``--pairs`` times, one right after the other, and the median of the
pairs' ratios is the figure; the x10 run is long enough to average the drift out and runs once.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "config" / "tours" / "sample-tour.yaml"


def make_spec(samples: Path, folder: Path, repeat: int) -> Path:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data["media_root"] = str(samples.resolve())
    data["stops"] = data["stops"] * repeat
    path = folder / f"tour-x{repeat}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def children_rss(parent: int) -> int:
    """Bytes resident in the processes whose parent is ``parent`` (ffmpeg, run by the render)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) != parent:
                    continue
            with open(f"/proc/{entry}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return total


def run_one(kind: str, spec: Path, out: Path, duration_ms: int, parallel: int) -> dict[str, float]:
    """Inside a child process: do one measurement and report wall time, CPU and peak memory of its ffmpegs."""
    from streamkit.media.runner import run_ffmpeg
    from streamkit.tours.render import RenderOptions, render_tour

    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], children_rss(os.getpid()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.monotonic()
    if kind in ("tour", "moviepy"):
        engine = "moviepy" if kind == "moviepy" else "ffmpeg"
        options = RenderOptions(show_progress=False, parallel_chunks=parallel, engine=engine)
        result = render_tour(spec, out, options)
        duration_ms = result.timeline.duration_ms
    else:
        seconds = f"{duration_ms / 1000:.3f}"
        run_ffmpeg(
            ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", "-loglevel", "error",
             "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
             "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
             "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "20",
             "-g", "60", "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart",
             str(out)],
            show_progress=False,
        )  # fmt: skip
    wall = time.monotonic() - began
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall_s": wall, "peak_rss_mb": peak[0] / 2**20, "cpu_s": cpu, "duration_ms": duration_ms}


def measure(kind: str, spec: Path, out: Path, duration_ms: int = 0, parallel: int = 1) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", kind, str(spec), str(out), str(duration_ms), str(parallel)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=ROOT / "var" / "bench-samples")
    parser.add_argument("--skip-long", action="store_true", help="skip the 10x longer tour")
    parser.add_argument("--parallel", type=int, default=1, help="chunk processes at once (default 1)")
    parser.add_argument("--skip-moviepy", action="store_true", help="skip the moviepy engine's render")
    parser.add_argument("--pairs", type=int, default=3, help="x1 tour and floor measured this many times (default 3)")
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, spec, out, duration, parallel = args.one
        print(json.dumps(run_one(kind, Path(spec), Path(out), int(duration), int(parallel))))
        return

    from streamkit.media.samples import generate

    print(f"samples at 1280x720 in {args.samples} (generated once) ...", flush=True)
    generate(args.samples, width=1280, height=720)
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-") as tmp:
        folder = Path(tmp)
        rows = []
        for repeat in (1,) if args.skip_long else (1, 10):
            spec = make_spec(args.samples, folder, repeat)
            for _ in range(max(args.pairs, 1) if repeat == 1 else 1):
                tour = measure("tour", spec, folder / f"tour-x{repeat}.mp4", parallel=args.parallel)
                floor = measure("floor", spec, folder / f"floor-x{repeat}.mp4", int(tour["duration_ms"]))
                rows.append((repeat, tour, floor))
            if repeat == 1 and not args.skip_moviepy:
                moviepy = measure("moviepy", spec, folder / "moviepy-x1.mp4")
    print()
    header = ("tour", "length s", "tour s", "floor s", "ratio", "tour CPU s", "floor CPU s", "tour MB", "floor MB")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (6, 9, 7, 8, 6, 11, 12, 8, 9), strict=True)))
    for repeat, tour, floor in rows:
        print(
            f"{'x' + str(repeat):>6} {tour['duration_ms'] / 1000:>9.1f} {tour['wall_s']:>7.1f} {floor['wall_s']:>8.1f}"
            f" {tour['wall_s'] / floor['wall_s']:>6.2f} {tour['cpu_s']:>11.1f} {floor['cpu_s']:>12.1f}"
            f" {tour['peak_rss_mb']:>8.0f} {floor['peak_rss_mb']:>9.0f}"
        )
    for repeat in sorted({row[0] for row in rows}):
        pairs = [(tour, floor) for r, tour, floor in rows if r == repeat]
        ratios = sorted(tour["wall_s"] / floor["wall_s"] for tour, floor in pairs)
        print(
            f"x{repeat}: ratio {statistics.median(ratios):.2f} (median of {len(ratios)}: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"), tour memory at most {max(tour['peak_rss_mb'] for tour, _ in pairs):.0f} MB"
        )
    print(f"\ntarget: ratio <= 1.2, tour memory <= 500 MB and flat from x1 to x10; chunks at once: {args.parallel}")
    if not args.skip_moviepy:
        x1 = [(tour, floor) for r, tour, floor in rows if r == 1]
        tour = min((t for t, _ in x1), key=lambda t: t["wall_s"])
        floor = min((f for _, f in x1), key=lambda f: f["wall_s"])
        print(
            f"\nmoviepy engine, x1: {moviepy['wall_s']:.1f} s, {moviepy['cpu_s']:.1f} s CPU in ffmpeg; "
            f"{moviepy['wall_s'] / tour['wall_s']:.2f}x the ffmpeg engine (expected >= 5), "
            f"{moviepy['wall_s'] / floor['wall_s']:.2f}x the floor"
        )
    print("MB: the largest sum of resident memory of the ffmpeg processes running at the same moment")
    print("load average at the end (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
