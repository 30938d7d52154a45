"""``web serve --prod`` as it runs in production: real gunicorn, two workers, raw sockets on 127.0.0.1.

The pages keep answering while 500 overlay event streams are open; an event reaches the streams held by every
worker, through the embedded hub and through Redis; forwarded headers from a client that is not a configured proxy
are not believed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from streamkit.archive.store import ArchiveStore
from streamkit.overlays.bus import OverlayBus
from streamkit.overlays.channel import open_channel
from streamkit.web.accounts import add_user
from tests.conftest import ROOT, wait_until_up

WORKERS = 2
SECRET = "prod-secret-key-for-the-overlay-tests-0123"
STREAMS = 500
PAGES = 20
STREAM_TIMEOUT_S = 20.0  # generous: only a server that never answers a stream makes a test wait this long


@dataclass(frozen=True)
class Site:
    host: str
    port: int
    arbiter: int

    def workers(self) -> list[int]:
        """The gunicorn worker pids (children of the serving process, the overlay hub left out)."""
        children = Path(f"/proc/{self.arbiter}/task/{self.arbiter}/children").read_text().split()
        return [int(pid) for pid in children if b"streamkit.overlays.hub" not in _cmdline(int(pid))]

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=STREAM_TIMEOUT_S)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def post(self, path: str, body: str, headers: dict[str, str], source: str = "127.0.0.1") -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=STREAM_TIMEOUT_S, source_address=(source, 0))
        try:
            conn.request("POST", path, body=body.encode(), headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def publish(self, event: dict[str, object], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return self.post("/overlays/events", json.dumps(event), {"Content-Type": "application/json", **(headers or {})})


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["hub", "hub-socket", "redis"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site under gunicorn with two workers; overlay events shared by the embedded hub or by Redis.

    ``hub`` is the default (a private hub socket); ``hub-socket`` puts the hub where the settings say.
    """
    folder = tmp_path_factory.mktemp(f"site-{request.param}")
    env = {
        **os.environ,
        "STREAMKIT_WEB__SECRET_KEY": SECRET,
        "STREAMKIT_WEB__DATABASE_URL": f"sqlite:///{folder / 'site.db'}",
        "STREAMKIT_WEB__MEDIA_DIR": str(folder / "media"),
        "STREAMKIT_WEB__LOGIN_RATE_LIMIT": "5 per hour",
    }
    if request.param == "redis":
        env["STREAMKIT_OVERLAYS__CHANNEL"] = request.getfixturevalue("redis_server")
    if request.param == "hub-socket":
        env["STREAMKIT_OVERLAYS__CHANNEL"] = f"hub://{request.getfixturevalue('hub_folder') / 'hub.sock'}"
    store = ArchiveStore(env["STREAMKIT_WEB__DATABASE_URL"], folder / "media")
    add_user(store, "keeper", "correct horse battery")
    store.dispose()
    port = _free_port()
    argv = [sys.executable, "-m", "streamkit", "web", "serve", "--prod", "--port", str(port)]
    server = subprocess.Popen(
        [*argv, "--workers", str(WORKERS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    site = Site("127.0.0.1", port, server.pid)
    try:
        wait_until_up(lambda: site.get("/schedule")[0] == 200 and len(site.workers()) == WORKERS, "web serve", server)
        yield site
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def hub_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="sk-site-"))  # short: a unix socket path has at most 107 bytes
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Stream:
    """One open ``/overlays/events`` connection, read line by line."""

    def __init__(self, site: Site, overlay: str | None = None) -> None:
        self.sock = socket.create_connection((site.host, site.port), timeout=STREAM_TIMEOUT_S)
        query = f"?overlay={overlay}" if overlay else ""
        self.sock.sendall(f"GET /overlays/events{query} HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode())
        self.buffer = b""

    def read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"stream closed before {marker!r}: {self.buffer[-200:]!r}")
            self.buffer += chunk
        upto = self.buffer.index(marker) + len(marker)
        seen, self.buffer = self.buffer[:upto], self.buffer[upto:]
        return seen

    def worker(self, site: Site) -> int:
        """The worker pid that holds the server side of this connection (from /proc: socket inode → fd)."""
        local_port = self.sock.getsockname()[1]
        inode = _server_socket_inode(site.port, local_port)
        for pid in site.workers():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        raise LookupError(f"no worker holds the connection from port {local_port}")

    def close(self) -> None:
        self.sock.close()


def _server_socket_inode(server_port: int, client_port: int) -> str:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return inode
    raise LookupError(f"no server socket for client port {client_port}")


def test_an_event_reaches_the_streams_of_every_worker(site: Site) -> None:
    with ExitStack() as stack:
        streams: list[Stream] = []
        held_by: set[int] = set()
        # the kernel hands each connection to whichever worker accepts first: open streams until both hold some
        # (paced, so that a worker still booting has its turn; streams are cheap, so the bound is generous)
        while len(held_by) < WORKERS and len(streams) < 500:
            stream = Stream(site, "lower-third")
            stack.callback(stream.close)
            stream.read_until(b"retry: 1000\n\n")  # served: the worker has subscribed it
            streams.append(stream)
            held_by.add(stream.worker(site))
            time.sleep(0.02)
        assert len(held_by) == WORKERS, f"all {len(streams)} streams went to one worker"
        status, body = site.publish({"overlay": "lower-third", "action": "set", "lines": ["周海", "1908–1932"]})
        assert status == 202 and json.loads(body) == {"delivered": len(streams)}
        for stream in streams:
            assert "周海".encode() in stream.read_until(b"\n\n")
    # a page that connects afterwards, to any worker, replays the latest state
    for _ in range(2 * WORKERS):
        late = Stream(site, "lower-third")
        try:
            assert "周海".encode() in late.read_until(b"1908\xe2\x80\x931932")
        finally:
            late.close()


@pytest.mark.parametrize("site", ["hub"], indirect=True)
def test_pages_answer_while_500_event_streams_are_open(site: Site) -> None:
    with ExitStack() as stack:
        streams = []
        for _ in range(STREAMS):
            stream = Stream(site)
            stack.callback(stream.close)
            streams.append(stream)
        for stream in streams:  # every one served, none queued behind the others
            stream.read_until(b"retry: 1000\n\n")
        pages = ["/schedule", "/", "/archive", "/overlays/lower-third"] * (PAGES // 4)
        statuses = [site.get(path)[0] for path in pages]
        assert statuses == [200] * PAGES
        status, body = site.publish({"overlay": "title", "action": "show"})
        assert status == 202 and json.loads(body) == {"delivered": STREAMS}
    assert site.get("/schedule")[0] == 200


@pytest.mark.parametrize("site", ["hub"], indirect=True)
def test_forwarded_for_from_a_client_is_not_believed(site: Site) -> None:
    # 127.0.0.2 is this machine too, but not the address the publish check allows: it stands for another machine
    spoofed = {"X-Forwarded-For": "127.0.0.1"}
    body = json.dumps({"overlay": "title", "action": "show"})
    status, _ = site.post("/overlays/events", body, {"Content-Type": "application/json", **spoofed}, "127.0.0.2")
    assert status == 403
    # a new X-Forwarded-For per attempt does not give a new login rate-limit bucket
    conn = http.client.HTTPConnection(site.host, site.port, timeout=STREAM_TIMEOUT_S)
    conn.request("GET", "/admin/login")
    first = conn.getresponse()
    cookie = next(c.split(";")[0] for c in first.headers.get_all("Set-Cookie") or [] if c.startswith("session="))
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', first.read())
    conn.close()
    assert csrf is not None
    login = f"csrf_token={csrf.group(1).decode()}&username=keeper&password=wrong-password-here"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    # "5 per hour" in each worker's memory: 11 attempts put at least 6 on one worker
    statuses = [
        site.post("/admin/login", login, {**headers, "X-Forwarded-For": f"198.51.100.{n}"})[0] for n in range(11)
    ]
    assert 429 in statuses, statuses
    assert 400 not in statuses  # the attempts were real sign-ins (CSRF passed), refused for the rate


@pytest.mark.parametrize("site", ["hub-socket"], indirect=True)
def test_overlay_pages_served_apart_join_the_site_hub(site: Site, hub_folder: Path) -> None:
    # what `overlay serve` does with the same overlays.channel: its own bus, on the site's hub
    apart = OverlayBus(open_channel(f"hub://{hub_folder / 'hub.sock'}"))
    try:
        with apart.subscribe("countdown") as page:
            status, body = site.publish({"overlay": "countdown", "action": "countdown", "seconds": 60})
            assert status == 202 and json.loads(body) == {"delivered": 1}
            got = page.get(timeout=10)
            assert got is not None and got.event.seconds == 60
    finally:
        apart.close()
