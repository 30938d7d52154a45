"""The production site for the web benches: ``streamkit web serve --prod`` (gunicorn) on a free local port.

Shared by the bench scripts beside it; ``python bench/NAME.py`` puts this folder first on the import path.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_site(
    port: int, database_url: str, media_dir: Path | str, *, workers: int = 2, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The server in a process group of its own (gunicorn and its workers, stopped together), output discarded."""
    environment = {
        **os.environ,
        "STREAMKIT_WEB__DATABASE_URL": database_url,
        "STREAMKIT_WEB__MEDIA_DIR": str(media_dir),
        "STREAMKIT_WEB__SECRET_KEY": SECRET_KEY,
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "streamkit", "web", "serve", "--prod", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_site(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group unless a bench has already killed it, then reap it."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
