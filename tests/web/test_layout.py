"""The generated production layout, run for real: nginx with the generated configuration in front of gunicorn
(`web serve --prod --socket`) with the unit's environment, a page and media with byte ranges through nginx."""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, port_open, run_cli, wait_until_up

SECRET = "layout-secret-key-for-the-test-0123456789"
MEDIA = bytes(range(256)) * 400  # 100 kB, every byte position recognisable


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP to gunicorn's socket, to see what the site itself answers before nginx."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


@dataclass
class Deployed:
    base: str
    socket: Path
    layout: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unit_environment(unit: Path) -> dict[str, str]:
    found = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            found[name] = value
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[Deployed]:
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    short = Path(tempfile.mkdtemp(prefix="sk-layout-"))  # a unix socket path has at most 107 bytes
    media = tmp_path / "media"
    folder = media / "0123abcd"
    (folder / "hls").mkdir(parents=True)
    (folder / "media.mp4").write_bytes(MEDIA)
    (folder / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "hls" / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n", encoding="utf-8")
    (folder / ".media.mp4.partial").write_bytes(b"half written")
    port, sock = free_port(), short / "gunicorn.sock"
    env = {**os.environ, "STREAMKIT_WEB__MEDIA_DIR": str(media), "PYTHONPATH": str(ROOT)}
    layout = tmp_path / "layout"
    made = run_cli(
        ["web", "layout", str(layout), "--listen", f"127.0.0.1:{port}", "--socket", str(sock), "--workers", "1"],
        env=env,
    )
    assert made.returncode == 0, made.stderr
    env.update(unit_environment(layout / "systemd" / "streamkit-web.service"))
    env.update(STREAMKIT_WEB__SECRET_KEY=SECRET, STREAMKIT_WEB__DATABASE_URL=f"sqlite:///{tmp_path / 'site.db'}")
    argv = [sys.executable, "-m", "streamkit", "web", "serve", "--prod", "--socket", str(sock), "--workers", "1"]
    (layout / "logs").mkdir()
    output = (layout / "logs" / "gunicorn.log").open("wb")
    gunicorn = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=output)
    (layout / "tmp").mkdir()
    # as root, nginx's workers would otherwise run as nobody, who may not enter pytest's folders
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    nginx = subprocess.Popen(
        ["nginx", "-p", str(layout), "-c", "nginx/nginx.conf", "-g", globals_],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until_up(sock.exists, "gunicorn", gunicorn)
        wait_until_up(lambda: port_open(port), "nginx", nginx)
        yield Deployed(f"http://127.0.0.1:{port}", sock, layout)
    finally:
        stop(nginx)
        stop(gunicorn)
        output.close()
        shutil.rmtree(short, ignore_errors=True)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_generated_layout_serves_pages_through_gunicorn_and_media_from_nginx(deployed: Deployed) -> None:
    status, headers, body = fetch(deployed.base + "/")
    assert status == 200 and b"<html" in body
    assert headers["Server"].startswith("nginx")  # gunicorn's own Server header is replaced by nginx's
    assert headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=600"
    assert "script-src 'self'" in headers["Content-Security-Policy"]

    # the site checks the name and hands the file over; it sends no bytes itself
    direct = UnixHTTPConnection(str(deployed.socket))
    direct.request("GET", "/media/0123abcd/media.mp4", headers={"Host": "memorial.example"})
    handed = direct.getresponse()
    assert handed.getheader("X-Accel-Redirect") == "/_media/0123abcd/media.mp4" and handed.read() == b""
    direct.close()

    status, headers, body = fetch(deployed.base + "/media/0123abcd/media.mp4", {"Range": "bytes=1000-1999"})
    assert status == 206 and body == MEDIA[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(MEDIA)}"
    assert headers["Content-Type"] == "video/mp4" and "X-Accel-Redirect" not in headers
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"

    status, headers, _ = fetch(deployed.base + "/media/0123abcd/poster.jpg")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=3600"
    status, headers, body = fetch(deployed.base + "/media/0123abcd/hls/index.m3u8")
    assert status == 200 and body.startswith(b"#EXTM3U")
    assert headers["Cache-Control"] == "public, max-age=2"
    assert headers["Content-Type"] == "application/vnd.apple.mpegurl"

    for hidden in ["/media/0123abcd/.media.mp4.partial", "/_media/0123abcd/media.mp4", "/media/0123abcd/none.mp4"]:
        assert fetch(deployed.base + hidden)[0] == 404, hidden


def test_a_familys_private_link_stays_out_of_every_log(deployed: Deployed) -> None:
    token = secrets.token_urlsafe(32)
    assert fetch(f"{deployed.base}/family/{token}")[0] == 404  # no such link: the same 404 as a revoked one
    assert fetch(f"{deployed.base}/?seen=marker-in-the-log")[0] == 200
    stop_writing = time.monotonic() + 10  # nginx writes its access log line after answering
    access = deployed.layout / "logs" / "access.log"
    while "marker-in-the-log" not in access.read_text(encoding="utf-8") and time.monotonic() < stop_writing:
        time.sleep(0.05)
    assert "marker-in-the-log" in access.read_text(encoding="utf-8")  # the access log is kept …
    for log in (deployed.layout / "logs").iterdir():  # … without the link, in nginx's logs and gunicorn's output
        assert token not in log.read_text(encoding="utf-8", errors="replace"), log.name


def test_signed_in_staff_pages_are_never_public(deployed: Deployed) -> None:
    status, headers, _ = fetch(deployed.base + "/admin/login")
    assert status == 200 and "public" not in headers.get("Cache-Control", "")


def test_layout_mistakes_are_one_line(tmp_path: Path) -> None:
    relative = run_cli(["web", "layout", str(tmp_path / "a"), "--socket", "gunicorn.sock"])
    assert relative.returncode == 1 and relative.stderr.strip() == (
        "error: web layout: --socket must be an absolute path, not gunicorn.sock"
    )
    (tmp_path / "file").write_text("", encoding="utf-8")
    blocked = run_cli(["web", "layout", str(tmp_path / "file" / "inside")])
    assert blocked.returncode == 1 and blocked.stderr.startswith("error: web layout: cannot write into")
    assert "Traceback" not in blocked.stderr and not (tmp_path / "a").exists()
