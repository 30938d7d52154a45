"""Benchmark: the render farm with 1, 2 and 4 local workers against the in-process render of the same tour, in one run.

    python bench/farm.py [--samples var/bench-samples] [--size 1280x720] [--minutes 6 | --repeat 6]
                         [--workers 1,2,4] [--chunk-seconds 15]

The tour is ``config/tours/sample-tour.yaml`` at ``--size`` with its stops repeated ``--repeat`` times, or as often
as it takes to last ``--minutes`` (planned from the probed media). A private ``redis-server`` on a unix socket
carries the queue; the workers are real ``streamkit farm worker`` processes on this machine. Every farm run starts
on an empty shared work folder, so no chunk is skipped. It prints, for each run, the wall time from submission to
the published MP4 and its ratio to the in-process render, then the farm's overhead per chunk: enqueue → start (how
long a chunk's job waited for a free worker beyond the previous job's end, from RQ's timestamps), and the join (the
concat copy and the sidecars). On a machine with two cores, two workers can at best halve the in-process time (which
already overlaps the sound with the chunks).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "config" / "tours" / "sample-tour.yaml"


def make_spec(samples: Path, folder: Path, size: str, repeat: int) -> Path:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data["media_root"] = str(samples.resolve())
    data["stops"] = data["stops"] * repeat
    data.setdefault("output", {})["size"] = size
    data["output"].pop("hls", None)
    path = folder / f"tour-x{repeat}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def tour_seconds(spec: Path) -> float:
    """The planned length of the tour in ``spec``, from its probed media."""
    from streamkit.tours.check import check_tour
    from streamkit.tours.timeline import build_timeline

    checked = check_tour(spec)
    checked.raise_if_problems()
    return build_timeline(checked.tour, checked.media).duration_ms / 1000


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    socket = folder / "redis.sock"
    argv = ["redis-server", "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*argv, "--dir", str(folder)], stdout=subprocess.DEVNULL)
    url = f"unix://{socket}"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def farm_run(spec: Path, folder: Path, url: str, workers: int, chunk_seconds: float) -> dict[str, float]:
    """Submit the tour to ``workers`` fresh local workers and wait for it; the wall time and the per-chunk overhead."""
    from rich.console import Console
    from rq.job import Job

    from streamkit.config.settings import FarmSettings
    from streamkit.farm import queue
    from streamkit.farm.submit import submit_render
    from streamkit.tours.render import RenderOptions

    work = folder / f"work-{workers}"
    config = folder / f"farm-{workers}.yaml"
    config.write_text(yaml.safe_dump({"version": 1, "farm": {"redis_url": url, "work_dir": str(work)}}))
    settings = FarmSettings(redis_url=url, work_dir=work)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "streamkit", "--config", str(config), "farm", "worker"]
    procs = [
        subprocess.Popen([*argv, "--name", f"bench-{workers}-{k}"], env=env, stderr=subprocess.DEVNULL)
        for k in range(workers)
    ]
    try:
        connection = queue.connect(settings)
        time.sleep(2)  # the workers' start-up is not the farm's overhead per chunk
        began = time.time()
        options = RenderOptions(show_progress=False, chunk_seconds=chunk_seconds)
        record = submit_render(spec, folder / f"farm-{workers}.mp4", options, settings, Console(stderr=True))
        submitted = time.time()
        queue.wait(connection, record.id)
        wall = time.time() - began
        jobs = [j for j in Job.fetch_many(list(record.jobs), connection=connection) if j is not None]
        waits = _start_waits(jobs)
        join = jobs[-1]
        assert join.started_at is not None and join.ended_at is not None
        return {
            "wall_s": wall,
            "plan_s": submitted - began,
            "chunks": len(record.chunks),
            "start_wait_s": statistics.median(waits) if waits else 0.0,
            "join_s": (join.ended_at - join.started_at).total_seconds(),
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def _start_waits(jobs: list[object]) -> list[float]:
    """For each job: from the moment it could start (enqueued, or a worker fell free after its previous job) to its
    start. That is the queue's own cost, not the wait for a busy worker."""
    from rq.job import Job

    done = sorted((j for j in jobs if isinstance(j, Job) and j.started_at and j.ended_at), key=lambda j: j.started_at)
    waits = []
    for job in done:
        assert job.enqueued_at is not None and job.started_at is not None
        free = [
            o.ended_at for o in done if o.worker_name == job.worker_name and o.ended_at and o.ended_at <= job.started_at
        ]
        ready = max([job.enqueued_at, *free])
        waits.append((job.started_at - ready).total_seconds())
    return waits


def local_run(spec: Path, folder: Path, chunk_seconds: float) -> float:
    from streamkit.tours.render import RenderOptions, render_tour

    began = time.monotonic()
    render_tour(spec, folder / "local.mp4", RenderOptions(show_progress=False, chunk_seconds=chunk_seconds))
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=Path, default=ROOT / "var" / "bench-samples")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--minutes", type=float, help="repeat the stops until the tour lasts this long")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--chunk-seconds", type=float, default=15.0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from streamkit.media.samples import generate

    width, height = (int(v) for v in args.size.split("x"))
    generate(args.samples, width=width, height=height)
    folder = Path(tempfile.mkdtemp(prefix="sk-farm-bench-"))
    server, url = start_redis(folder)
    try:
        repeat = args.repeat
        if args.minutes:
            # the title and outro come once; each repeat adds the stops (less the transitions' overlap)
            once = tour_seconds(make_spec(args.samples, folder, args.size, 1))
            stops = tour_seconds(make_spec(args.samples, folder, args.size, 2)) - once
            repeat = 1 + max(0, math.ceil((args.minutes * 60 - once) / stops))
        spec = make_spec(args.samples, folder, args.size, repeat)
        length = tour_seconds(spec)
        print(f"tour: {length / 60:.1f} min at {args.size}, stops x{repeat}, {args.chunk_seconds:g} s chunks, "
              f"{os.cpu_count()} cores", flush=True)  # fmt: skip
        local = local_run(spec, folder, args.chunk_seconds)
        print(f"in-process render: {local:.1f} s", flush=True)
        for workers in (int(n) for n in args.workers.split(",")):
            run = farm_run(spec, folder, url, workers, args.chunk_seconds)
            speed = local / run["wall_s"]
            join = f"join {run['join_s']:.2f} s = {run['join_s'] / run['wall_s']:.1%} of the render"
            start = f"per chunk enqueue->start {run['start_wait_s'] * 1000:.0f} ms"
            # the workers wait side by side: each carries its share of the chunks' waits, then the join runs alone
            overhead = run["start_wait_s"] * run["chunks"] / workers + run["join_s"]
            start += f"; waits and join {overhead / run['wall_s']:.1%} of the render"
            chunks = f"{int(run['chunks'])} chunks, planning {run['plan_s']:.1f} s"
            print(f"farm, {workers} worker(s): {run['wall_s']:.1f} s = {speed:.2f}x ({chunks}; {start}; {join})")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
