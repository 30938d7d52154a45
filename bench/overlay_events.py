"""Benchmark the site's pages while overlay event streams are open, and an event's trip to every stream.

Starts ``streamkit web serve --prod`` (gunicorn, 127.0.0.1) on a fresh database, measures page latency with no
stream open (the baseline, in the same run), then opens the streams and measures again: page latency, how long
opening the streams took, and for each of a few events the time from the POST until the last stream has it.

    .venv/bin/python bench/overlay_events.py [--streams 500] [--pages 200] [--events 5] [--workers 2] [--redis URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import tempfile
import time

from site_server import free_port, start_site, stop_site  # type: ignore[import-not-found]

PAGES = ("/schedule", "/", "/archive", "/overlays/lower-third")


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def page_latencies_ms(port: int, count: int) -> tuple[list[float], int]:
    """Latency of ``count`` page requests, one after another, and how many did not answer 200."""
    found, bad = [], 0
    for n in range(count):
        started = time.perf_counter()
        status, _ = request(port, "GET", PAGES[n % len(PAGES)])
        found.append((time.perf_counter() - started) * 1000)
        bad += status != 200
    return found, bad


def open_stream(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(b"GET /overlays/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return sock


def read_until(sock: socket.socket, marker: bytes) -> None:
    seen = b""
    while marker not in seen:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("stream closed")
        seen = seen[-len(marker) :] + chunk


def describe(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(len(ordered) * 0.99))]
    return f"{label:<38}{statistics.median(ordered):>9.1f}{p99:>9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", help="share events through this Redis instead of the embedded hub")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-") as folder:
        port = free_port()
        channel = {"STREAMKIT_OVERLAYS__CHANNEL": args.redis} if args.redis else {}
        server = start_site(port, f"sqlite:///{folder}/bench.db", f"{folder}/media", workers=args.workers, env=channel)
        streams: list[socket.socket] = []
        try:
            for _ in range(300):
                try:
                    if request(port, "GET", "/schedule")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            baseline, bad_before = page_latencies_ms(port, args.pages)
            started = time.perf_counter()
            streams = [open_stream(port) for _ in range(args.streams)]
            for sock in streams:
                read_until(sock, b"retry: 1000\n\n")
            opened_s = time.perf_counter() - started
            loaded, bad_during = page_latencies_ms(port, args.pages)
            trips, delivered = [], []
            for n in range(args.events):
                event = json.dumps({"overlay": "lower-third", "action": "set", "lines": [f"周海 {n}"]}).encode()
                started = time.perf_counter()
                _, answer = request(port, "POST", "/overlays/events", event)
                for sock in streams:
                    read_until(sock, f"周海 {n}".encode())
                trips.append((time.perf_counter() - started) * 1000)
                delivered.append(json.loads(answer)["delivered"])
        finally:
            for sock in streams:
                sock.close()
            stop_site(server)
    channel = "Redis" if args.redis else "embedded hub"
    print(f"gunicorn {args.workers} gevent workers, {channel}, {os.cpu_count()} cores, 127.0.0.1")
    print(f"opened {args.streams} event streams (each served its first line) in {opened_s:.2f} s")
    print(f"{'':<38}{'p50 ms':>9}{'p99 ms':>9}")
    print(describe("page, no stream open (baseline)", baseline))
    print(describe(f"page, {args.streams} streams open", loaded))
    print(describe(f"event POST → last of {args.streams} streams", trips))
    ratio = statistics.median(loaded) / statistics.median(baseline)
    print(f"page p50 with streams open / baseline: {ratio:.2f}x")
    print(f"non-200 pages: {bad_before} before, {bad_during} with streams open; delivered per event: {delivered}")


if __name__ == "__main__":
    main()
