"""Benchmark: the sample tour at 1280x720 30 fps against the floor (one bare encode of the same length).

    python bench/tour.py [--samples var/bench-samples] [--skip-long] [--parallel 2]

The floor is a single-pass libx264 encode of a lavfi ``testsrc2`` source with the same duration, size, frame
rate and encoder settings: nothing renders that output faster without more encoders. Each measurement runs in
its own Python process so its peak RSS (``ru_maxrss`` of its children, i.e. ffmpeg) is its own. The long run is
the same tour with its stops repeated 10 times, to see whether memory stays flat as the tour grows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
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


def run_one(kind: str, spec: Path, out: Path, duration_ms: int, parallel: int) -> dict[str, float]:
    """Inside a child process: do one measurement and report wall time and the children's peak RSS."""
    from streamkit.media.runner import run_ffmpeg
    from streamkit.tours.render import RenderOptions, render_tour

    began = time.monotonic()
    if kind == "tour":
        result = render_tour(spec, out, RenderOptions(show_progress=False, parallel_chunks=parallel))
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
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall_s": wall, "peak_rss_mb": rss_mb, "duration_ms": duration_ms}


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
            tour = measure("tour", spec, folder / f"tour-x{repeat}.mp4", parallel=args.parallel)
            floor = measure("floor", spec, folder / f"floor-x{repeat}.mp4", int(tour["duration_ms"]))
            rows.append((repeat, tour, floor))
    print()
    header = ("tour", "length s", "tour s", "floor s", "ratio", "tour RSS MB", "floor RSS MB")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (8, 9, 8, 8, 6, 12, 13), strict=True)))
    for repeat, tour, floor in rows:
        print(
            f"{'x' + str(repeat):>8} {tour['duration_ms'] / 1000:>9.1f} {tour['wall_s']:>8.1f} {floor['wall_s']:>8.1f}"
            f" {tour['wall_s'] / floor['wall_s']:>6.2f} {tour['peak_rss_mb']:>12.0f} {floor['peak_rss_mb']:>13.0f}"
        )
    print(f"\ntarget: ratio <= 1.2, tour peak RSS <= 500 MB and flat from x1 to x10; chunks at once: {args.parallel}")
    print("load average at the end (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
