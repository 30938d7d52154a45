"""Benchmark tributes under gunicorn (``web serve --prod``, 2 workers, 127.0.0.1) with wrk: tributes/s and p99.

Imports a register of 1,000 martyrs into a fresh database, starts the server with the per-client limits lifted
(every request comes from 127.0.0.1), takes a CSRF token and session cookie from a martyr's page, then has wrk
POST tributes, each with its own idempotency key, spread over the martyrs. Afterwards it compares the number of
2xx answers wrk saw with the rows in the database.

    .venv/bin/python bench/tributes.py [--seconds 20] [--warm-up 3] [--connections 32]
                                       [--postgresql | --database-url URL] [--kill-after SECONDS]

The measured run follows a warm-up run of ``--warm-up`` seconds (workers importing, statements prepared, SQLite's
pages cached), so the figures are the sustained rate and latency, not a cold start's; the count comparison covers
both runs.

``--postgresql`` starts a private PostgreSQL (the tests' own starter, with PostgreSQL's durable defaults: fsync and
synchronous commit on). ``--kill-after`` sends SIGKILL to the whole server that many seconds into the run while wrk
keeps sending. Target: >= 2,000 tributes/s sustained with p99 <= 50 ms on 2 cores. Rows may exceed the 2xx count
by the requests in flight when wrk stops or the server dies (stored, their answers never read); never the other
way round.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

from site_server import free_port, start_site, stop_site  # type: ignore[import-not-found]
from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.participation.models import Tribute
from streamkit.register.importer import import_register

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' PostgreSQL starter
MARTYRS = 1000
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TRIBUTES_LUA = """
local threads = {}
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  seq = 0
  ok = 0
end
local headers = {["Cookie"] = "%(cookie)s", ["Accept"] = "application/json", ["Origin"] = "%(origin)s",
                 ["Content-Type"] = "application/x-www-form-urlencoded"}
function request()
  seq = seq + 1
  local body = "csrf_token=%(token)s&kind=flower&key=%(run)s" .. id .. "x" .. string.format("%%014d", seq)
  return wrk.format("POST", "/martyrs/" .. (seq %% %(martyrs)d + 1) .. "/tributes", headers, body)
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("ok") end
  io.write(string.format("ok2xx %%d\\n", total))
  for _, p in ipairs({50, 90, 99, 99.9}) do io.write(string.format("p%%g %%d\\n", p, latency:percentile(p))) end
  io.write(string.format("max %%d\\n", latency.max))
end
"""


def seed(store: ArchiveStore, folder: Path) -> None:
    path = folder / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编号", "姓名", "安葬地/墓位"])
        for n in range(MARTYRS):
            tomb = f"南山烈士陵园{'ABCD'[n % 4]}区{n // 40 + 1}排{n % 40 + 1}号"
            writer.writerow([f"B{n:05d}", f"烈士{n:04d}", tomb])
    import_register(store, path)


def session_form(port: int) -> tuple[str, str]:
    """The session cookie and CSRF token a visitor's browser would hold after opening a martyr's page."""
    for _ in range(300):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/martyrs/1")
            response = connection.getresponse()
            html = response.read().decode()
        except OSError:
            time.sleep(0.1)
            continue
        finally:
            connection.close()
        found = CSRF_RE.search(html)
        if not found:
            raise SystemExit("the martyr page has no tribute form")
        return (response.getheader("Set-Cookie") or "").split(";")[0], found.group(1)
    raise SystemExit("the server did not start")


def group_cpu_s(group: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by the live processes of a process group: the server's own cost,
    which load from other processes on the machine does not change the way it changes wall-clock rates."""
    user = system = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # after the name: state, ppid, pgrp, …, utime (12), stime (13)
            user, system = user + int(fields[11]), system + int(fields[12])
    return user / os.sysconf("SC_CLK_TCK"), system / os.sysconf("SC_CLK_TCK")


def stored(database_url: str) -> int:
    store = ArchiveStore(database_url, migrate=False)
    try:
        with store.session() as session:
            return session.scalar(select(func.count(Tribute.id))) or 0
    finally:
        store.dispose()


def wrk(folder: Path, fields: dict[str, object], port: int, connections: int, seconds: int) -> subprocess.Popen[str]:
    """wrk posting tributes for ``seconds``; each run's keys start with its own letter, so no run repeats another's."""
    script = folder / f"tributes-{fields['run']}.lua"
    script.write_text(TRIBUTES_LUA % fields)
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    return subprocess.Popen([*argv, f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warm-up", type=int, default=3, help="seconds of load before the measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgresql", action="store_true", help="a private PostgreSQL instead of a SQLite file")
    where.add_argument("--database-url", help="an empty PostgreSQL database instead of a fresh SQLite file")
    parser.add_argument("--kill-after", type=float, help="SIGKILL the server this many seconds into the run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian package wrk, listed in scripts/system-packages.txt)")
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="streamkit-bench-"))
        database_url = args.database_url or f"sqlite:///{folder}/bench.db"
        if args.postgresql:
            from tests.postgresql import create_database, private_postgresql

            database_url = create_database(stack.enter_context(private_postgresql(durable=True)))
        run(args, Path(folder), database_url)


def run(args: argparse.Namespace, folder: Path, database_url: str) -> None:
    store = ArchiveStore(database_url, folder / "media")
    seed(store, folder)
    store.dispose()
    before = stored(database_url)
    port = free_port()
    limits = {
        "STREAMKIT_WEB__TRIBUTE_RATE_LIMIT": "100000000 per minute",
        "STREAMKIT_WEB__TRIBUTE_DAILY_CAP": "100000000",
    }
    server = start_site(port, database_url, f"{folder}/media", workers=args.workers, env=limits)
    try:
        cookie, token = session_form(port)
        fields = {
            "origin": f"http://127.0.0.1:{port}",
            "cookie": cookie,
            "token": urllib.parse.quote(token, safe=""),
            "martyrs": MARTYRS,
        }
        warmed = 0
        if args.warm_up and args.kill_after is None:
            warm_up = wrk(folder, fields | {"run": "w"}, port, args.connections, args.warm_up)
            warm_text = warm_up.communicate(timeout=args.warm_up + 60)[0]
            warmed = int(re.search(r"ok2xx (\d+)", warm_text).group(1))  # type: ignore[union-attr]
        server_cpu, wrk_cpu = group_cpu_s(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
        load = wrk(folder, fields | {"run": "m"}, port, args.connections, args.seconds)
        if args.kill_after is not None:
            time.sleep(args.kill_after)
            os.killpg(server.pid, signal.SIGKILL)
        text, _ = load.communicate(timeout=args.seconds + 60)
        if load.returncode != 0:
            raise SystemExit(f"wrk failed: {text}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu_s = after.ru_utime + after.ru_stime - wrk_cpu.ru_utime - wrk_cpu.ru_stime
        time.sleep(1)  # let the workers finish the requests wrk left in flight
        (user, system), (user0, system0) = group_cpu_s(server.pid), server_cpu
        server_user_s, server_system_s = user - user0, system - system0
        server_cpu_s = server_user_s + server_system_s
    finally:
        stop_site(server)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    ms = {name: int(value) / 1000 for name, value in re.findall(r"^(p[\d.]+|max) (\d+)$", text, re.MULTILINE)}
    p50, p99 = ms["p50"], ms["p99"]
    ok = int(re.search(r"ok2xx (\d+)", text).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: .*", text)
    rows = stored(database_url) - before - warmed
    backend = database_url.split(":", 1)[0].split("+")[0]
    killed = f", SIGKILL after {args.kill_after:g} s" if args.kill_after is not None else ""
    print(f"{backend}, {args.workers} workers, {args.connections} connections, {args.seconds} s{killed}")
    if args.kill_after is None:
        print(f"  tributes/s {rate:,.0f}   p50 {p50:.1f} ms   p99 {p99:.1f} ms   (target >= 2,000/s, p99 <= 50 ms)")
        tail = f"p90 {ms['p90']:.1f} ms   p99.9 {ms['p99.9']:.1f} ms   max {ms['max']:.1f} ms"
        print(f"  {tail}   (after {args.warm_up} s of warm-up)")
    else:  # wrk divides by the whole run, most of it against a dead server: only the count comparison matters
        print(f"  p50 {p50:.1f} ms   p99 {p99:.1f} ms (until the kill)")
    if args.kill_after is None and ok:
        split = f"{server_user_s / ok * 1e6:,.0f} user + {server_system_s / ok * 1e6:,.0f} system"
        per = f"server {server_cpu_s / ok * 1e6:,.0f} us ({split}), wrk {wrk_cpu_s / ok * 1e6:,.0f} us"
        print(f"  CPU per tribute: {per}   (2 cores / their sum: {2 / (server_cpu_s + wrk_cpu_s) * ok:,.0f}/s)")
    print(f"  2xx answers {ok:,}   rows stored {rows:,}   stored without an answer read {rows - ok:,}")
    if errors:
        print(f"  wrk: {errors.group(0)}")
    if rows < ok:
        raise SystemExit("LOST: fewer rows than 2xx answers")


if __name__ == "__main__":
    main()
