"""The local relay: nginx with the RTMP module on 127.0.0.1, configured from a generated file in the run folder.

OBS (or a feed) publishes the program once to ``rtmp://127.0.0.1:PORT/live/program``; every leg plays it from there,
and nginx cuts it into short HLS fragments for the site. The relay never holds a stream key (legs push), but its
config is still written 0600 so the file stays the place for anything private later.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from streamkit.config.settings import LiveSettings
from streamkit.errors import MissingToolError
from streamkit.live.errors import LiveError

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
APPLICATION = "live"  # OBS publishes the program here
ON_AIR = "air"  # what goes out: the program, or the standby slate while the program is missing
PROGRAM = "program"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
HLS_PLAYLIST_FRAGMENTS = 4  # a short window: players join near the live edge (glass-to-glass in bench/live.py)
# A fragment never changes once listed, and system naming (epoch milliseconds) never reuses a name across relay
# restarts, so a CDN may keep fragments for good; the playlist changes every fragment.
PLAYLIST_CACHE = "public, max-age=1"
FRAGMENT_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class RelayPlan:
    """Where the relay listens and writes; everything it needs to be configured, nothing it does."""

    run_dir: Path
    rtmp_port: int
    http_port: int
    hls_fragment_s: float = 1.0

    @classmethod
    def from_settings(cls, live: LiveSettings) -> RelayPlan:
        return cls(live.run_dir, live.relay_port, live.relay_http_port, live.hls_fragment_s)

    @property
    def folder(self) -> Path:
        return self.run_dir / "relay"

    @property
    def conf_path(self) -> Path:
        return self.folder / "nginx.conf"

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"

    @property
    def hls_dir(self) -> Path:
        return self.run_dir / "hls"

    @property
    def program_url(self) -> str:
        """Where OBS publishes and legs play: stream key ``program`` under ``rtmp://127.0.0.1:PORT/live``."""
        return f"rtmp://127.0.0.1:{self.rtmp_port}/{APPLICATION}/{PROGRAM}"

    @property
    def hls_playlist(self) -> Path:
        return self.hls_dir / f"{PROGRAM}.m3u8"

    @property
    def on_air_url(self) -> str:
        """Where the standby switch publishes and the legs play (the HLS is cut from here too)."""
        return f"rtmp://127.0.0.1:{self.rtmp_port}/{ON_AIR}/{PROGRAM}"

    @property
    def slate_path(self) -> Path:
        return self.run_dir / "standby" / "slate.flv"

    @property
    def stat_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/stat"

    @property
    def hls_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/hls/{PROGRAM}.m3u8"


def relay_conf(plan: RelayPlan) -> str:
    """The whole nginx.conf (pure): loopback only, publish and play from this machine only."""
    folder, hls = plan.folder.resolve(), plan.hls_dir.resolve()
    fragment = f"{plan.hls_fragment_s:g}s"
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/tmp/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
load_module {RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
rtmp {{
    server {{
        listen 127.0.0.1:{plan.rtmp_port};
        chunk_size 4096;
        application {APPLICATION} {{
            live on;
            # a new player gets video only from the next keyframe (OBS: 2 s away); without this, audio comes first
            # and the switch's one-second probe ends before the video stream exists, so it never goes on air
            wait_video on;
            allow publish 127.0.0.1;
            deny publish all;
            allow play 127.0.0.1;
            deny play all;
        }}
        application {ON_AIR} {{
            live on;
            allow publish 127.0.0.1;
            deny publish all;
            allow play 127.0.0.1;
            deny play all;
            hls on;
            hls_path {hls};
            hls_fragment {fragment};
            hls_playlist_length {plan.hls_fragment_s * HLS_PLAYLIST_FRAGMENTS:g}s;
            hls_fragment_naming system;
            hls_cleanup on;
        }}
    }}
}}
http {{
    access_log off;
{temp}
    types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
    server {{
        listen 127.0.0.1:{plan.http_port};
        location = /stat {{ rtmp_stat all; }}
        location /hls/ {{
            alias {hls}/;
            location ~ \\.m3u8$ {{ add_header Cache-Control "{PLAYLIST_CACHE}" always; }}
            location ~ \\.ts$ {{ add_header Cache-Control "{FRAGMENT_CACHE}" always; }}
        }}
    }}
}}
"""


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only (0600 from the first byte), replacing ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


@dataclass(frozen=True)
class ProgramState:
    """What the relay says about the program stream."""

    publishing: bool = False
    bytes_in: int = 0
    bitrate_in: int = 0  # bit/s
    players: int = 0


@dataclass(frozen=True)
class StreamShape:
    """The program's picture and sound as the relay saw them: what a standby slate must match."""

    width: int
    height: int
    fps: float
    sample_rate: int
    channels: int


def program_state(stat_xml: str, application: str = APPLICATION) -> ProgramState:
    """Read the program stream of ``application`` out of nginx-rtmp's ``rtmp_stat`` XML (pure)."""
    root = ET.fromstring(stat_xml)
    for app in root.iter("application"):
        if app.findtext("name") != application:
            continue
        for stream in app.iter("stream"):
            if stream.findtext("name") != PROGRAM:
                continue
            clients = stream.findall("client")
            return ProgramState(
                publishing=stream.find("publishing") is not None,
                bytes_in=int(stream.findtext("bytes_in") or 0),
                bitrate_in=int(stream.findtext("bw_in") or 0),
                players=sum(1 for c in clients if c.find("publishing") is None),
            )
    return ProgramState()


def hls_fragments(playlist: Path) -> int:
    """How many fragments the relay's HLS playlist lists now (0 when it is not there yet)."""
    try:
        text = playlist.read_text(encoding="utf-8")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if line.strip().endswith(".ts"))


def port_is_free(port: int) -> bool:
    """Nobody listens on ``port``; connections of a relay that just died (TIME_WAIT) do not count."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Relay:
    """A running nginx-rtmp relay; ``start`` returns once it listens, ``stop`` always ends it."""

    def __init__(self, plan: RelayPlan, nginx: str = "nginx") -> None:
        self.plan = plan
        self.nginx = nginx
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Relay:
        binary = shutil.which(self.nginx)
        if binary is None:
            raise MissingToolError("nginx", "the live relay", "apt-get install nginx libnginx-mod-rtmp")
        if not RTMP_MODULE.exists():
            raise MissingToolError("nginx's RTMP module", "the live relay", "apt-get install libnginx-mod-rtmp")
        for port in (self.plan.rtmp_port, self.plan.http_port):
            if not port_is_free(port):
                raise LiveError(f"port {port} on 127.0.0.1 is in use; is another relay running? (live.relay_port)")
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.plan.folder / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        self.plan.hls_dir.mkdir(parents=True, exist_ok=True)
        write_private(self.plan.conf_path, relay_conf(self.plan))
        argv = [binary, "-p", str(self.plan.folder), "-c", str(self.plan.conf_path), "-e", str(self.plan.error_log)]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LiveError(f"the relay (nginx) exited at start: {self._last_error()}")
            if not port_is_free(self.plan.rtmp_port) and not port_is_free(self.plan.http_port):
                return
            time.sleep(0.05)
        self.stop()
        raise LiveError(f"the relay (nginx) did not listen within {START_TIMEOUT_S:g} s")

    def _last_error(self) -> str:
        assert self.process is not None and self.process.stderr is not None
        text = self.process.stderr.read().decode("utf-8", "replace")
        with contextlib.suppress(OSError):
            text += self.plan.error_log.read_text(encoding="utf-8", errors="replace")
        lines = [line for line in text.splitlines() if "[emerg]" in line or "[alert]" in line] or text.splitlines()
        return lines[-1].strip() if lines else f"exit code {self.process.returncode}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stat(self, timeout_s: float = 2.0) -> str:
        with urllib.request.urlopen(self.plan.stat_url, timeout=timeout_s) as response:
            text: str = response.read().decode("utf-8")
            return text

    def program(self, timeout_s: float = 2.0) -> ProgramState:
        """The program stream as the relay sees it now."""
        return program_state(self.stat(timeout_s))

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
