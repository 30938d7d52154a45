"""Durability under ``kill -9``: real gunicorn (``web serve --prod``), a burst of tributes from a thread pool, the
whole server killed mid-burst. Every tribute that got a 2xx is in the database; after a restart, the requests whose
answers were lost are sent again with the same keys and none is counted twice. Both ways in are killed: the Flask
view (a form with its CSRF token) and the fast path the script takes (same-origin JSON), each through the batching
writer."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.participation.models import Tribute
from streamkit.register.importer import import_register
from tests.conftest import ROOT
from tests.participation.conftest import register_file
from tests.web.conftest import CSRF_RE

KILL_AFTER = 150  # 2xx answers before the kill; the pool keeps sending while it happens
THREADS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``streamkit web serve --prod`` with two workers in its own process group, so one signal kills it all."""

    def __init__(self, tmp_path: Path, database_url: str, *, same_origin: bool = False) -> None:
        self.port = free_port()
        self.same_origin = same_origin
        env = {
            **os.environ,
            "STREAMKIT_WEB__DATABASE_URL": database_url,
            "STREAMKIT_WEB__MEDIA_DIR": str(tmp_path / "media"),
            "STREAMKIT_WEB__SECRET_KEY": "kill-test-secret-key-0123456789abcdef",
            "STREAMKIT_WEB__TRIBUTE_RATE_LIMIT": "1000000 per minute",
            "STREAMKIT_WEB__TRIBUTE_DAILY_CAP": "1000000",
        }
        argv = [sys.executable, "-m", "streamkit", "web", "serve", "--prod", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*argv, "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.cookie, self.token = self._form()

    def _form(self) -> tuple[str, str]:
        for _ in range(300):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/martyrs/1")
                response = connection.getresponse()
                html = response.read().decode()
            except OSError:
                time.sleep(0.1)
                continue
            finally:
                connection.close()
            cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
            found = CSRF_RE.search(html)
            assert found and cookie.startswith("session="), "the martyr page has no tribute form"
            return cookie, found.group(1)
        raise AssertionError("the server did not start")

    def offer(self, key: str, martyr_id: int) -> int | None:
        """POST one tribute; the status, or None when the connection failed (no answer)."""
        body = f"csrf_token={self.token}&kind=flower&key={key}"
        headers = {"Cookie": self.cookie, "Accept": "application/json"}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.same_origin:  # as the browser sends the script's fetch: the fast path takes it
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", f"/martyrs/{martyr_id}/tributes", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    store = ArchiveStore(url, tmp_path / "media")
    import_register(store, register_file(tmp_path))
    store.dispose()
    yield url


def stored_keys(url: str) -> set[str]:
    store = ArchiveStore(url, migrate=False)
    try:
        with store.session() as session:
            return set(session.scalars(select(Tribute.key)))
    finally:
        store.dispose()


@pytest.mark.parametrize("same_origin", [False, True], ids=["view", "fast-path"])
def test_every_2xx_tribute_survives_kill_9_and_retries_count_once(
    tmp_path: Path, database: str, same_origin: bool
) -> None:
    server = Server(tmp_path, database, same_origin=same_origin)
    answers: dict[str, int | None] = {}
    lock, killed = threading.Lock(), threading.Event()

    def burst(worker: int) -> None:
        sequence = 0
        while not killed.is_set():
            key = f"t{worker:02d}x{sequence:012d}"
            status = server.offer(key, 1 + sequence % 4)
            sequence += 1
            with lock:
                answers[key] = status
                if sum(1 for s in answers.values() if s == 200) >= KILL_AFTER and not killed.is_set():
                    server.kill()
                    killed.set()
            if status is None:
                return

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(burst, range(THREADS)))
    finally:
        if not killed.is_set():
            server.kill()
    ok = {key for key, status in answers.items() if status == 200}
    unanswered = {key for key, status in answers.items() if status is None}
    assert len(ok) >= KILL_AFTER and set(answers.values()) <= {200, None}
    stored = stored_keys(database)
    assert ok <= stored  # nothing that was answered 2xx was lost
    assert stored <= ok | unanswered  # and nothing was stored that was never sent

    restarted = Server(tmp_path, database, same_origin=same_origin)
    try:
        retried = {key: restarted.offer(key, 1 + int(re.sub(r".*x", "", key)) % 4) for key in unanswered}
    finally:
        restarted.kill()
    assert set(retried.values()) <= {200}
    assert stored_keys(database) == ok | unanswered  # each key once, whether it had committed before the kill or not
