"""Headless OBS: Xvfb plus OBS with a private config folder and the websocket switched on.

The config is seeded so OBS starts unattended: no first-run wizard (``[General] FirstRun=true``), the websocket enabled
with a generated password in both layouts (``global.ini [OBSWebSocket]`` read by obs-websocket < 5.5, and
``plugin_config/obs-websocket/config.json`` from 5.5 / OBS 30.2), the unclean-shutdown ``.sentinel`` removed before
every start so OBS >= 30 never offers Safe Mode (which disables the websocket). The password lives in a 0600 file in
the launch folder; it is never put on a command line, where any local user could read it from /proc.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streamkit.errors import MissingToolError, ObsError

if TYPE_CHECKING:
    from streamkit.obs.client import ObsConnection

# Our own children, kept so they are reaped properly (and not reported as leaked) when stopped by this process.
_children: dict[int, subprocess.Popen[bytes]] = {}

STATE_FILE = "launch.json"
PASSWORD_FILE = "websocket-password"
PROFILE = "streamkit"
COLLECTION = "streamkit"


@dataclass(frozen=True)
class Canvas:
    width: int = 640
    height: int = 360
    fps: int = 30


@dataclass(frozen=True)
class LaunchState:
    """What ``obs stop`` and clients need to find a launched OBS again (no secrets here)."""

    folder: str
    port: int
    obs_pid: int
    xvfb_pid: int
    display: str
    record_dir: str
    log_file: str

    @property
    def password_file(self) -> Path:
        return Path(self.folder) / PASSWORD_FILE

    def password(self) -> str:
        return self.password_file.read_text(encoding="utf-8").strip()


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_dir(folder: Path) -> Path:
    return folder / "config" / "obs-studio"


def global_ini(port: int, password: str) -> str:
    """``global.ini``: skip the wizard, pick our profile and collection, websocket on (obs-websocket < 5.5 layout)."""
    return (
        "[General]\nFirstRun=true\nLastVersion=503316480\nEnableAutoUpdates=false\n\n"
        f"[Basic]\nProfile={PROFILE}\nProfileDir={PROFILE}\nSceneCollection={COLLECTION}\n"
        f"SceneCollectionFile={COLLECTION}\nConfigOnNewProfile=false\n\n"
        "[BasicWindow]\nSysTrayEnabled=false\nSysTrayWhenStarted=false\nWarnBeforeStartingStream=false\n"
        "WarnBeforeStoppingStream=false\nWarnBeforeStoppingRecord=false\n\n"
        "[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\n"
        f"ServerPort={port}\nAlertsEnabled=false\nAuthRequired=true\nServerPassword={password}\n"
    )


def websocket_json(port: int, password: str) -> str:
    """``plugin_config/obs-websocket/config.json`` (obs-websocket >= 5.5 layout)."""
    return json.dumps(
        {
            "first_load": False,
            "server_enabled": True,
            "server_port": port,
            "alerts_enabled": False,
            "auth_required": True,
            "server_password": password,
        }
    )


KEYFRAME_EVERY_S = 2  # what streaming platforms expect; a viewer joining (or the stream starting) waits at most this


def profile_ini(canvas: Canvas, record_dir: Path) -> str:
    """A small simple-output profile: x264 ultrafast, MKV recordings into ``record_dir`` (survive a crash).

    Reconnecting follows OBS's own defaults (2 s, growing, 25 tries): two quick tries gave up on a 5 s outage. The
    keyframe interval is set through the custom x264 options (simple mode has no field for it): x264's default
    of 250 frames made a stream that starts after the recording (they share the encoder) wait up to 8 s for its
    first picture.
    """
    return (
        f"[General]\nName={PROFILE}\n\n"
        f"[Video]\nBaseCX={canvas.width}\nBaseCY={canvas.height}\nOutputCX={canvas.width}\nOutputCY={canvas.height}\n"
        f"FPSType=1\nFPSInt={canvas.fps}\nFPSCommon={canvas.fps}\nScaleType=bilinear\n\n"
        "[Output]\nMode=Simple\nReconnect=true\nRetryDelay=2\nMaxRetries=25\n\n"
        f"[SimpleOutput]\nFilePath={record_dir}\nRecFormat=mkv\nRecFormat2=mkv\nRecQuality=Stream\n"
        "StreamEncoder=x264\nRecEncoder=x264\nPreset=ultrafast\nVBitrate=800\nABitrate=96\nUseAdvanced=true\n"
        f"x264Settings=keyint={canvas.fps * KEYFRAME_EVERY_S}\nFileNameWithoutSpace=true\n\n"
        "[Audio]\nSampleRate=48000\nChannelSetup=Stereo\n"
    )


def seed_config(folder: Path, port: int, password: str, canvas: Canvas) -> Path:
    """Write every config file OBS needs to start unattended; returns the recording folder."""
    cfg = config_dir(folder)
    record_dir = folder / "recordings"
    for path in (cfg / "plugin_config" / "obs-websocket", cfg / "basic" / "profiles" / PROFILE, record_dir):
        path.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # global.ini holds the password in clear text, as OBS itself stores it
    _write_private(cfg / "global.ini", global_ini(port, password))
    _write_private(cfg / "plugin_config" / "obs-websocket" / "config.json", websocket_json(port, password))
    (cfg / "basic" / "profiles" / PROFILE / "basic.ini").write_text(profile_ini(canvas, record_dir), encoding="utf-8")
    _write_private(folder / PASSWORD_FILE, password + "\n")
    return record_dir


def _write_private(path: Path, text: str) -> None:
    """Write a 0600 file whole: a client re-reading it during a relaunch never sees it empty or half-written."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(partial, path)


def write_state(state: LaunchState, password: str | None = None) -> None:
    """Publish where the launched OBS listens (and, when given, its new password) for clients to find it again."""
    folder = Path(state.folder)
    if password is not None:
        _write_private(folder / PASSWORD_FILE, password + "\n")
    partial = folder / f".{STATE_FILE}.partial"
    partial.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    os.replace(partial, folder / STATE_FILE)


def clear_unclean_shutdown_marker(folder: Path) -> None:
    """Remove OBS >= 30's ``.sentinel`` so a relaunch after a crash does not offer Safe Mode."""
    sentinel = config_dir(folder) / ".sentinel"
    if sentinel.is_dir():
        for child in sentinel.iterdir():
            child.unlink(missing_ok=True)
        sentinel.rmdir()


def obs_argv() -> list[str]:
    """OBS's command line: nothing secret here (the password comes from the config file)."""
    return ["obs", "--multi", "--minimize-to-tray", "--disable-updater", "--disable-missing-files-check"]


def _start_xvfb(width: int, height: int) -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        os.close(write_fd)
    _children[proc.pid] = proc
    with os.fdopen(read_fd) as fh:
        number = fh.readline().strip()
    if not number:
        proc.kill()
        raise ObsError("Xvfb did not start (no display number reported)")
    return proc, f":{number}"


def launch(
    folder: str | Path, *, port: int | None = None, canvas: Canvas = Canvas(), ready_timeout_s: float = 60.0
) -> LaunchState:
    """Start Xvfb and OBS with a private config in ``folder``; return once the websocket answers requests."""
    for tool, package in (("obs", "obs-studio"), ("Xvfb", "xvfb")):
        if not _on_path(tool):
            raise MissingToolError(tool, "a headless OBS", f"sudo apt-get install {package}")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    existing = read_state(folder)
    if existing is not None and _alive(existing.obs_pid):
        raise ObsError(f"OBS from {folder} is already running (pid {existing.obs_pid}); run 'streamkit obs stop' first")
    port = port or free_port()
    password = secrets.token_urlsafe(18)
    if existing is not None:
        stop(folder)  # OBS died earlier: clean up its Xvfb before starting again
    record_dir = seed_config(folder, port, password, canvas)
    xvfb, display = _start_xvfb(max(canvas.width, 1280), max(canvas.height, 720))
    log_file = folder / "obs.log"
    obs = _start_obs(folder, display, log_file)
    state = LaunchState(str(folder), port, obs.pid, xvfb.pid, display, str(record_dir), str(log_file))
    write_state(state)
    try:
        wait_ready(state, ready_timeout_s)
    except BaseException:
        stop(folder)
        raise
    return state


def wait_ready(state: LaunchState, timeout_s: float) -> None:
    """Poll until the websocket identifies us and answers GetVersion (OBS answers 207 while starting)."""
    import asyncio

    from streamkit.obs.client import ObsClient, ObsConnection

    async def probe() -> None:
        client = ObsClient(ObsConnection("127.0.0.1", state.port, state.password()), reconnect=False)
        try:
            await client.connect(timeout_s=5)
        finally:
            await client.close()

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not _alive(state.obs_pid):
            raise ObsError(f"OBS exited during startup; see {state.log_file}")
        try:
            asyncio.run(probe())
            return
        except (ObsError, OSError) as exc:
            last = exc
            time.sleep(0.5)
    raise ObsError(f"OBS websocket did not answer within {timeout_s:.0f} s ({last}); see {state.log_file}")


def read_state(folder: str | Path) -> LaunchState | None:
    path = Path(folder) / STATE_FILE
    try:
        return LaunchState(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise ObsError(f"{path}: unreadable launch state ({exc})") from None


def stop(folder: str | Path, *, timeout_s: float = 15.0) -> bool:
    """Stop OBS (SIGTERM, then SIGKILL) and its Xvfb; False when nothing was running."""
    folder = Path(folder).resolve()
    state = read_state(folder)
    if state is None:
        return False
    was_running = _alive(state.obs_pid)
    _terminate(state.obs_pid, timeout_s)
    _terminate(state.xvfb_pid, 5.0)
    clear_unclean_shutdown_marker(folder)
    (folder / STATE_FILE).unlink(missing_ok=True)
    return was_running


def kill_obs(state: LaunchState) -> None:
    """SIGKILL OBS only (Xvfb stays): simulates a crash for recovery tests and drills."""
    _terminate(state.obs_pid, 0.0)


def relaunch_obs(state: LaunchState, ready_timeout_s: float = 60.0) -> LaunchState:
    """Start OBS again on the same display, config and port after a crash."""
    folder = Path(state.folder)
    obs = _start_obs(folder, state.display, Path(state.log_file))
    new = LaunchState(**{**asdict(state), "obs_pid": obs.pid})
    write_state(new)
    wait_ready(new, ready_timeout_s)
    return new


def _start_obs(folder: Path, display: str, log_file: Path) -> subprocess.Popen[bytes]:
    """Start OBS on ``display`` with the private config; the unclean-shutdown marker is cleared first."""
    clear_unclean_shutdown_marker(folder)
    home = folder / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DISPLAY": display,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "LIBGL_ALWAYS_SOFTWARE": "1",
        "QT_QPA_PLATFORM": "xcb",
    }
    with open(log_file, "ab") as log:
        obs = subprocess.Popen(
            obs_argv(),
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _children[obs.pid] = obs
    return obs


def _terminate(pid: int, timeout_s: float) -> None:
    if not _alive(pid):
        return
    _signal_group(pid, signal.SIGTERM if timeout_s > 0 else signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        _signal_group(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # each child was started in its own session, so its group id is its pid
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        # reap it if it is our own child that exited, so a zombie is not counted as alive
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return True
    return status != "Z"


def _on_path(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


def connection_for(host: str, port: int, password: str | None, launch_dir: Path) -> ObsConnection:
    """Where to connect: explicit settings win; else the OBS that ``obs launch`` started in ``launch_dir``."""
    from streamkit.obs.client import ObsConnection

    if password:
        return ObsConnection(host, port, password)
    state = read_state(launch_dir)
    if state is not None and state.password_file.exists():
        return ObsConnection("127.0.0.1", state.port, state.password())
    return ObsConnection(host, port, "")
