"""Benchmark: CPU per frame of one Ken Burns move at 1280x720, three ways, in the same run.

    python bench/ken_burns.py [--frames 135] [--move in] [--repeat 3]

- ``4:2:0``: the planned crop -> scale (writing 4:2:0) -> crop chain the tours use (``ken_burns.graph_steps``);
- ``4:4:4``: the same plan with the scale writing 4:4:4 and a second scale converting to 4:2:0 (the chain before
  the scale wrote 4:2:0 directly);
- ``perspective``: the exact sub-pixel warp, the fallback for moves no plan places.

Each runs as its own ffmpeg (read a generated raw still once, loop it, move it, ``-f null``); the figure is user +
system CPU per frame, the best of ``--repeat`` runs, so other load on the machine inflates it least.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from streamkit.media.commands import FILTER_THREADS, filter_value
from streamkit.tours import stills
from streamkit.tours.ffmpeg import ken_burns
from streamkit.tours.ffmpeg.video import perspective_move
from streamkit.tours.stills import STILL_PIXEL_FORMAT

SIZE = (1280, 720)


def cpu_seconds(argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=135)
    parser.add_argument("--move", default="in", choices=["in", "out", "pan-left", "pan-right"])
    parser.add_argument("--amount", type=float, default=0.12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plan = ken_burns.plan_move(args.move, args.frames, args.amount, SIZE)
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-kb-") as tmp:
        folder = Path(tmp)
        noise = np.random.default_rng(1).integers(0, 256, (plan.still_size[1], plan.still_size[0], 3), np.uint8)
        png = folder / "still.png"
        Image.fromarray(noise).save(png)
        still = stills.raw_still(png)  # what the tour's graph reads
        commands = folder / "move.cmd"
        commands.write_text(ken_burns.sendcmd_script(plan, 30, "crop@kb"), encoding="utf-8")
        loop = [f"loop=loop={args.frames}:size=1:start=0", "setpts=N/FRAME_RATE/TB", "fps=30"]
        planned = [*ken_burns.pad_steps(plan), *loop, *ken_burns.graph_steps(plan, filter_value(str(commands)), "kb")]
        chains = {
            "4:2:0": planned,
            "4:4:4": [*planned[:-1], "format=yuv444p", "setsar=1", "format=yuv420p"],
            "perspective": [f"scale={SIZE[0]}:{SIZE[1]}", "format=yuv420p", *loop,
                            perspective_move(args.move, args.frames, args.amount), "format=yuv420p"],
        }  # fmt: skip
        results = {}
        for name, chain in chains.items():
            width, height = plan.still_size
            argv = ["ffmpeg", "-v", "error", "-nostdin", "-f", "rawvideo", "-pixel_format", STILL_PIXEL_FORMAT,
                    "-video_size", f"{width}x{height}", "-framerate", "30", "-i", str(still),
                    *FILTER_THREADS, "-filter_complex", ",".join(chain), "-frames:v", str(args.frames),
                    "-c:v", "wrapped_avframe", "-f", "null", "-"]  # fmt: skip
            results[name] = min(cpu_seconds(argv) for _ in range(args.repeat)) / args.frames * 1000
    print(f"{args.move} over {args.frames} frames at {SIZE[0]}x{SIZE[1]}, still {plan.still_size}, "
          f"plan within {plan.worst_error_px:.3f} px")  # fmt: skip
    for name, ms in results.items():
        print(f"{name:>12}: {ms:5.2f} ms of CPU per frame  ({ms / results['4:2:0']:.2f}x the 4:2:0 chain)")


if __name__ == "__main__":
    main()
