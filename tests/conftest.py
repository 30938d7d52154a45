"""Shared fixtures: small generated sample media (once per session), a private Redis and a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis

from streamkit.media.samples import SampleSet, generate

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
