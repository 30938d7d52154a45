"""Benchmark the site under gunicorn (2 workers, 127.0.0.1) with wrk: requests/s and p99 per page.

Seeds 10,000 archive entries and 500 events into a fresh SQLite database (or a private PostgreSQL, started for the
run: ``--database postgresql``; ``both`` runs one after the other), starts ``streamkit web serve --prod``,
then runs wrk against /, /schedule, /archive?page=N (fixed N, and a random page per request), /schedule.ics and,
as the baseline measured in the same run, a static file. Prints each route's figures and its ratio to the baseline.

    .venv/bin/python bench/web.py [--seconds 5] [--connections 16] [--warm-seconds 30] [--database sqlite]

Cold pages (each archive page rendered for the first time) are also taken apart in-process: queries per page, and
the wall time per page spent in SQL and in the template.

Target: >= 500 requests/s on the archive page with p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

from site_server import free_port, start_site, stop_site  # type: ignore[import-not-found]
from sqlalchemy import insert

from streamkit.archive.models import ArchiveEntry, Event, Tag, entry_tags
from streamkit.archive.store import ArchiveStore
from streamkit.web.cli import gunicorn_options

ENTRIES, EVENTS = 10_000, 500
RANDOM_PAGES_LUA = """
math.randomseed(42)
request = function()
  return wrk.format("GET", "/archive?page=" .. math.random(1, %d))
end
"""


def seed(store: ArchiveStore) -> None:
    rng = random.Random(7)
    now = datetime(2026, 4, 4, 9, 0)
    venues = ["烈士陵园", "纪念馆", "英雄广场", "革命公墓"]
    with store.engine.begin() as connection:
        connection.execute(
            insert(Tag),
            [{"id": i + 1, "name": name} for i, name in enumerate(["清明", "公祭", "导览", "献花", "默哀"])],
        )
        connection.execute(
            insert(Event),
            [
                {
                    "uid": f"bench-{n}@streamkit",
                    "slug": f"bench-{n}",
                    "title": f"清明祭英烈 第{n}场",
                    "description": "全体肃立，默哀一分钟。" * 3,
                    "venue": venues[n % 4],
                    "campaign": f"清明{2020 + n % 7}",
                    "start_at": now + timedelta(days=n - 250, hours=n % 8),
                    "end_at": now + timedelta(days=n - 250, hours=n % 8 + 1),
                    "timezone": "Asia/Shanghai",
                    "stream_url": "",
                    "status": "upcoming" if n >= 250 else "ended",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(EVENTS)
            ],
        )
        connection.execute(
            insert(ArchiveEntry),
            [
                {
                    "kind": "tour" if n % 3 == 0 else "recording",
                    "title": f"纪念仪式录像 {n:05d}",
                    "description": "向英烈致敬。" * 10,
                    "media_file": "",
                    "media_url": f"https://video.example/{n}.mp4",
                    "hls_url": "",
                    "media_sha256": None,
                    "poster_file": "",
                    "captions_file": "",
                    "chapters_file": "",
                    "duration_ms": rng.randint(60_000, 3_600_000),
                    "campaign": f"清明{2020 + n % 7}",
                    "venue": venues[n % 4],
                    "published": True,
                    "published_at": now - timedelta(hours=n),
                    "updated_at": now,
                    "event_id": None,
                }
                for n in range(ENTRIES)
            ],
        )
        connection.execute(insert(entry_tags), [{"entry_id": n + 1, "tag_id": n % 5 + 1} for n in range(0, ENTRIES, 2)])


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not answer at {url}")


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> tuple[float, float, int]:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        argv[1:1] = ["-s", str(script)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    if errors:
        print(f"  wrk: {errors.group(0)}")
    return rps, p99, int(bad.group(1)) if bad else 0


def cpu_per_request(db_url: str, media_dir: str, paths: list[str], repeat: int = 200) -> dict[str, float]:
    """CPU milliseconds per request in this process (Flask test client), which other load on the machine hardly
    changes: 2 cores / this = the most two idle workers could serve."""
    from streamkit.config.settings import Settings, WebSettings
    from streamkit.web.app import create_app

    settings = Settings(web=WebSettings(database_url=db_url, media_dir=Path(media_dir), secure_cookies=False))
    client = create_app(settings, secret_key="bench-secret-key-0123456789abcdef").test_client()
    found = {}
    for path in paths:
        client.get(path).close()
        started = time.process_time()
        for n in range(repeat):
            url = path.replace("{n}", str(n % 500 + 1))
            client.get(url).close()
        found[path] = (time.process_time() - started) / repeat * 1000
    return found


def cold_breakdown(db_url: str, media_dir: str, pages: int, repeat: int = 300) -> tuple[float, float, float, float]:
    """For archive pages rendered the first time: queries per page, and wall ms per page in SQL, in the template,
    and in all."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from streamkit.config.settings import Settings, WebSettings
    from streamkit.web.app import create_app
    from streamkit.web.extensions import STORE_KEY

    settings = Settings(web=WebSettings(database_url=db_url, media_dir=Path(media_dir), secure_cookies=False))
    site = create_app(settings, secret_key="bench-secret-key-0123456789abcdef")
    client = site.test_client()
    engine = site.extensions[STORE_KEY].engine
    spent = {"queries": 0, "sql": 0.0, "template": 0.0}
    started: dict[str, float] = {}

    def query_start(*_: object) -> None:
        started["sql"] = time.perf_counter()

    def query_end(*_: object) -> None:
        spent["queries"] += 1
        spent["sql"] += time.perf_counter() - started["sql"]

    def template_start(*_: object, **__: object) -> None:
        started["template"] = time.perf_counter()

    def template_end(*_: object, **__: object) -> None:
        spent["template"] += time.perf_counter() - started["template"]

    event.listen(engine, "before_cursor_execute", query_start)
    event.listen(engine, "after_cursor_execute", query_end)
    before_render_template.connect(template_start, site)
    template_rendered.connect(template_end, site)
    client.get("/archive?page=1").close()  # the count and facets of this revision, as a running site has them
    spent.update(queries=0, sql=0.0, template=0.0)
    began = time.perf_counter()
    for n in range(repeat):
        client.get(f"/archive?page={n % (pages - 1) + 2}").close()
    total = time.perf_counter() - began
    site.extensions[STORE_KEY].dispose()
    per = 1000 / repeat
    return spent["queries"] / repeat, spent["sql"] * per, spent["template"] * per, total * per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warm-seconds", type=int, default=30, help="random archive pages before the warm run")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian package wrk, listed in scripts/system-packages.txt)")
    for database in ["sqlite", "postgresql"] if args.database == "both" else [args.database]:
        print(f"== {database}", flush=True)
        bench_database(database, args)


def bench_database(database: str, args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="streamkit-bench-"))
        if database == "postgresql":
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' PostgreSQL starter
            from tests.postgresql import create_database, private_postgresql

            # the defaults a small production server keeps: no durability shortcuts
            db_url = create_database(stack.enter_context(private_postgresql(durable=True)))
        else:
            db_url = f"sqlite:///{folder}/bench.db"
        store = ArchiveStore(db_url, Path(folder) / "media")
        started = time.perf_counter()
        seed(store)
        if database == "postgresql":  # what autovacuum has done on a running site: statistics, the visibility map
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        store.dispose()
        print(f"seeded {ENTRIES} archive entries and {EVENTS} events in {time.perf_counter() - started:.1f} s")
        port = free_port()
        server = start_site(port, db_url, f"{folder}/media")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(f"{base}/")
            pages = ENTRIES // 20
            script = Path(folder) / "pages.lua"
            script.write_text(RANDOM_PAGES_LUA % pages)
            routes: list[tuple[str, str, Path | None]] = [
                ("static file (baseline)", "/static/css/site.css", None),
                ("/", "/", None),
                ("/schedule", "/schedule", None),
                ("/archive?page=250", "/archive?page=250", None),
                (f"/archive?page=random(1..{pages}) cold", "/archive", script),
                ("/schedule.ics", "/schedule.ics", None),
            ]
            results = []
            for label, path, lua in routes:
                run_wrk(base + path, 1, 4, lua)  # warm the workers' caches and connections
                rps, p99, bad = run_wrk(base + path, args.seconds, args.connections, lua)
                results.append((label, rps, p99, bad))
            # Steady state for random pages: once every page has been rendered by both workers, it stays cached
            # until the archive changes.
            run_wrk(base + "/archive", args.warm_seconds, args.connections, script)
            rps, p99, bad = run_wrk(base + "/archive", args.seconds, args.connections, script)
            results.append((f"/archive?page=random(1..{pages}) warm", rps, p99, bad))
            baseline = results[0][1]
            cpu = cpu_per_request(
                db_url,
                f"{folder}/media",
                ["/static/css/site.css", "/", "/schedule", "/archive?page=250", "/archive?page={n}", "/schedule.ics"],
            )
            print("CPU per request in-process (test client; cached pages are served by the page-cache middleware):")
            for path, ms in cpu.items():
                label = path.replace("{n}", "N (each page once, uncached)")
                print(f"  {label:<44}{ms:>7.2f} ms  -> at most {2000 / ms:>6.0f} req/s on 2 idle cores")
            options = gunicorn_options("", 2)
            print(
                f"gunicorn 2 {options['worker_class']} workers ({options.get('threads', 1)} threads each), "
                f"wrk -t2 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores"
            )
            print(f"{'route':<34}{'req/s':>10}{'p99 ms':>10}{'vs static':>11}{'non-2xx':>9}")
            for label, rps, p99, bad in results:
                print(f"{label:<34}{rps:>10.0f}{p99:>10.1f}{rps / baseline:>10.2f}x{bad:>9}")
            queries, sql_ms, template_ms, page_ms = cold_breakdown(db_url, f"{folder}/media", pages)
            print(
                f"cold archive page in-process: {queries:.1f} queries, SQL {sql_ms:.2f} ms, template "
                f"{template_ms:.2f} ms, whole request {page_ms:.2f} ms (wall, test client)"
            )
        finally:
            stop_site(server)


if __name__ == "__main__":
    main()
