"""Real pieces for the live tests: receivers standing in for the platforms, a test program, a relay's settings.

A receiver is nginx-rtmp on its own 127.0.0.1 port that records every publish (the same approach as the OBS
tests' receiver), and can be stopped and started again on the same port to play a platform that drops out.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streamkit.config.settings import LiveSettings
from streamkit.live.relay import RTMP_MODULE
from streamkit.obs.launcher import free_port
from tests.obs.conftest import NGINX_CONF

WAIT_S = 30.0  # the most any test waits for one thing to happen


def require_live_tools() -> None:
    for tool, package in (("nginx", "nginx"), ("ffmpeg", "ffmpeg")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")
    if not RTMP_MODULE.exists():
        pytest.skip("the nginx RTMP module is not installed (apt-get install libnginx-mod-rtmp)")


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` when it does not within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


class Receiver:
    """A stand-in platform: nginx-rtmp recording whatever is pushed to ``rtmp://127.0.0.1:PORT/live/<key>``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.record_dir = folder / "recorded"
        self.record_dir.mkdir(parents=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def start(self) -> Receiver:
        conf = self.folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(folder=self.folder, port=self.port, record_dir=self.record_dir), "utf-8")
        argv = ["nginx", "-p", str(self.folder), "-c", str(conf), "-e", str(self.folder / "error.log")]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._listening, f"receiver on port {self.port}", 10)
        return self

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"receiver nginx exited with {self.process.returncode}")
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def kill(self) -> None:
        """Drop out like a crashed platform ingest: no goodbye to the publisher."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def recordings(self) -> list[Path]:
        return sorted(p for p in self.record_dir.iterdir() if p.stat().st_size > 0)


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[list[Receiver]]:
    """Three receivers, started; always stopped."""
    require_live_tools()
    started = [Receiver(tmp_path / f"receiver-{n}").start() for n in range(3)]
    try:
        yield started
    finally:
        for receiver in started:
            receiver.kill()


@pytest.fixture
def live_settings(tmp_path: Path) -> LiveSettings:
    """A relay on free ports in the test's folder, with a quick retry policy."""
    return LiveSettings(
        run_dir=tmp_path / "run",
        relay_port=free_port(),
        relay_http_port=free_port(),
        stall_after_s=5,
        connect_timeout_s=15,
        retry_first_s=0.5,
        retry_max_s=2,
        max_attempts=50,
    )


def program_argv(url: str, seconds: float) -> list[str]:
    """A small test program (320x180, 25 fps, a tone), pushed in real time to ``url``."""
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc=size=320x180:rate=25:duration={seconds:g}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds:g}",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
        "-c:a", "aac", "-b:a", "64k", "-f", "flv", url,
    ]  # fmt: skip


@pytest.fixture
def program() -> Iterator[Callable[[str, float], subprocess.Popen[bytes]]]:
    """Start the test program towards a URL; every program started is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str, seconds: float) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(program_argv(url, seconds), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


class TlsTerminator:
    """RTMPS in front of a receiver, as a platform's RTMPS ingest: TLS on its own port, plain RTMP behind it."""

    def __init__(self, folder: Path, backend_port: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "1", "-subj", "/CN=127.0.0.1"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.backend_port = backend_port
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.Server | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def server_url(self) -> str:
        assert self.server is not None
        return f"rtmps://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/live"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        back_reader, back_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        await asyncio.gather(self._pipe(reader, back_writer), self._pipe(back_reader, writer))

    def start(self) -> TlsTerminator:
        self.thread.start()
        serving = asyncio.start_server(self._client, "127.0.0.1", 0, ssl=self.context)
        self.server = asyncio.run_coroutine_threadsafe(serving, self.loop).result(10)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
