"""Fixtures for the real components: one headless OBS for the whole session, and nginx-rtmp on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streamkit.obs import launcher
from streamkit.obs.launcher import Canvas, LaunchState, free_port


def _require(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package})")


@pytest.fixture(scope="session")
def headless_obs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaunchState]:
    """One OBS (640x360, 30 fps) under its own Xvfb for every obs test; always stopped, Xvfb too."""
    _require("obs", "obs-studio")
    _require("Xvfb", "xvfb")
    folder = tmp_path_factory.mktemp("obs")
    state = launcher.launch(folder, canvas=Canvas(640, 360, 30))
    try:
        yield state
    finally:
        launcher.stop(folder)


@dataclass(frozen=True)
class RtmpServer:
    port: int
    record_dir: Path
    folder: Path

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"


NGINX_CONF = """\
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        application live {{
            live on;
            record all;
            record_path {record_dir};
            record_unique on;
        }}
    }}
}}
"""


@pytest.fixture(scope="session")
def nginx_rtmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtmpServer]:
    """nginx with the RTMP module on a free loopback port; it records whatever is published, for checking."""
    _require("nginx", "nginx")
    if not Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists():
        pytest.skip("the nginx RTMP module is not installed (apt-get install libnginx-mod-rtmp)")
    folder = tmp_path_factory.mktemp("nginx")
    record_dir = folder / "recorded"
    record_dir.mkdir()
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, record_dir=record_dir), encoding="utf-8")
    proc = subprocess.Popen(
        ["nginx", "-p", str(folder), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_listening(port, proc)
        yield RtmpServer(port, record_dir, folder)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not listen")
