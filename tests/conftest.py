"""Shared fixtures: small generated sample media (once per session), a private Redis, a private PostgreSQL, the
database every store test runs on (SQLite and PostgreSQL) and a CLI runner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from streamkit.archive.store import ArchiveStore
from streamkit.media.samples import SampleSet, generate
from tests.postgresql import create_database, postgresql_bin, postgresql_url, private_postgresql

ROOT = Path(__file__).resolve().parent.parent

# Debian's Chromium for browser tests (Playwright cannot download its own browsers here). Without the
# background-networking flags Chromium keeps dialling out on this closed network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    """The sample set at 320x180, generated once per test session."""
    return generate(tmp_path_factory.mktemp("samples"), width=320, height=180)


def run_cli(
    args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m streamkit ARGS`` as a user would, capturing text output."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "streamkit", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# a server under a loaded CI machine may take many seconds to import and bind: wait on the clock, not on a count of
# tries, and stop at once if it exited
SERVER_START_S = 60.0


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def wait_until_up(check: Callable[[], object], what: str, process: subprocess.Popen[Any]) -> None:
    """Wait until ``check()`` is true (an ``OSError`` counts as not yet) while ``process`` runs; fail if it exits."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} did not come up within {SERVER_START_S:.0f} s")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Redis on a unix socket in a temp folder (no TCP port), for the session; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Debian's redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="sk-redis-"))  # short: a unix socket path has at most 107 bytes
    socket_path = folder / "redis.sock"
    argv = [binary, "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"unix://{socket_path}"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    pytest.fail(f"redis-server exited with {process.returncode}")
                threading.Event().wait(0.05)
        else:
            pytest.fail("redis-server did not answer within 10 s")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The private Redis, emptied for this test."""
    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[str]:
    """A private PostgreSQL for this test session on a Unix socket (no TCP port); yields its socket folder."""
    if postgresql_bin() is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql)")
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    with private_postgresql() as folder:
        yield folder


def postgresql_admin(server: str) -> Any:
    """An autocommit connection to the server's maintenance database (CREATE and DROP DATABASE)."""
    import psycopg

    return psycopg.connect(f"host={server} dbname=postgres user=streamkit", autocommit=True)


@pytest.fixture(scope="session")
def postgresql_template(postgresql_server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per session; each test's database is a copy of it (a file copy, some
    milliseconds, where running the migrations would take a second)."""
    name = "streamkit_template"
    with postgresql_admin(postgresql_server) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    ArchiveStore(postgresql_url(postgresql_server, name), tmp_path_factory.mktemp("template-media")).dispose()
    return name


@pytest.fixture
def postgresql_database(postgresql_server: str, postgresql_template: str) -> Iterator[str]:
    """The URL of a fresh database at the newest schema, dropped after the test."""
    url = create_database(postgresql_server, postgresql_template)
    name = url.split("@/", 1)[1].split("?")[0]
    yield url
    with postgresql_admin(postgresql_server) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")  # a store a test left open must not keep it


@pytest.fixture
def postgresql_store(postgresql_database: str, tmp_path: Path) -> Iterator[ArchiveStore]:
    """An archive store in a fresh database of the session's PostgreSQL."""
    found = ArchiveStore(postgresql_database, tmp_path / "media")
    yield found
    found.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database, on SQLite and on PostgreSQL: a test that takes it asserts the same behaviour on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'site.db'}"
    url: str = request.getfixturevalue("postgresql_database")
    return url
