"""Benchmarks on a real headless OBS (started and stopped here): cue latency and batched vs one-by-one apply.

    .venv/bin/python bench/obs.py [--switches 200]

1. Cue latency: SetCurrentProgramScene sent -> CurrentProgramSceneChanged received, Cut transition, p50/p99 over N
   switches; baseline: the GetVersion round trip measured in the same run.
2. ``obs apply`` of 10 scenes x 8 sources from scratch: one RequestBatch per round against one request at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamkit.obs import launcher
from streamkit.obs.apply import apply
from streamkit.obs.client import ObsClient, ObsConnection
from streamkit.obs.scenes import load_scenes


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _scene_file(folder: Path, prefix: str) -> Path:
    lines = ["version: 1", "sources:"]
    for s in range(10):
        for i in range(8):
            lines.append(
                f"  - {{name: {prefix}-s{s}-src{i}, kind: color, color: '#{(s * 20) % 256:02x}{i * 30:02x}40'}}"
            )
    lines.append("scenes:")
    for s in range(10):
        lines.append(f"  - name: {prefix}-scene{s}")
        lines.append("    items:")
        for i in range(8):
            lines.append(f"      - {{source: {prefix}-s{s}-src{i}, position: [{i * 10}, {i * 5}], size: [320, 180]}}")
    path = folder / f"{prefix}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def bench(state: launcher.LaunchState, switches: int, folder: Path) -> None:
    async with ObsClient(ObsConnection("127.0.0.1", state.port, state.password()), heartbeat_s=0) as client:
        for name in ("bench-A", "bench-B"):
            await client.call("CreateScene", {"sceneName": name})
        await client.call("SetCurrentSceneTransition", {"transitionName": "Cut"})
        rtt = []
        for _ in range(50):
            started = time.perf_counter()
            await client.call("GetVersion")
            rtt.append((time.perf_counter() - started) * 1000)
        latencies = []
        for n in range(switches):
            scene = "bench-A" if n % 2 == 0 else "bench-B"
            confirmed = client.expect(
                lambda e, s=scene: e.type == "CurrentProgramSceneChanged" and e.data["sceneName"] == s
            )
            started = time.monotonic()
            await client.call("SetCurrentProgramScene", {"sceneName": scene})
            event = await asyncio.wait_for(confirmed, 5)
            latencies.append((event.received - started) * 1000)
        p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
        base = statistics.median(rtt)
        print(
            f"cue latency over {switches} switches (Cut): p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
        print(f"baseline GetVersion round trip: median {base:.2f} ms; cue p50 = {p50 / base:.1f}x baseline")

        timings = {}
        for prefix, batched in (("batched", True), ("single", False)):
            collection = load_scenes([_scene_file(folder, prefix)])
            report = await apply(client, collection, media_root=folder, overlay_dir=folder, batched=batched)
            timings[prefix] = (report.seconds, report.changes, len(report.rounds))
            again = await apply(client, collection, media_root=folder, overlay_dir=folder, batched=batched)
            assert again.changes == 0, "second apply should change nothing"
        (tb, nb, rb), (ts, ns, _) = timings["batched"], timings["single"]
        print(
            f"apply 10 scenes x 8 sources: batched {tb:.2f} s ({nb} requests in {rb} batches), "
            f"one at a time {ts:.2f} s ({ns} requests); one-at-a-time / batched = {ts / tb:.2f}x"
        )
        await client.call("SetCurrentSceneTransition", {"transitionName": "Fade"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-") as tmp:
        folder = Path(tmp)
        state = launcher.launch(folder / "obs")
        try:
            asyncio.run(bench(state, args.switches, folder))
        finally:
            launcher.stop(folder / "obs")


if __name__ == "__main__":
    main()
