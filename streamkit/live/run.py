"""A live run: the relay, the legs (and an optional feed into the relay), with their files in the run folder.

The run folder holds ``relay/nginx.conf`` (0600), the relay's error log, ``hls/``, ``events.jsonl`` (every state
change, one JSON object per line, fsynced: the start of the as-run record), ``status.json`` (what ``streamkit live
status`` shows, replaced atomically) and ``legs/<name>.log`` (ffmpeg's complaints, keys masked). Operator actions
from other terminals arrive as files in ``control/``, written 0600 and deleted once read.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from streamkit.config.settings import LiveSettings
from streamkit.errors import StreamkitError
from streamkit.fonts import find_cjk_font
from streamkit.live.destinations import Target
from streamkit.live.errors import LiveError
from streamkit.live.flv import Source
from streamkit.live.leg import LegChange, RetryPolicy
from streamkit.live.masking import redact
from streamkit.live.relay import ON_AIR, PROGRAM, ProgramState, Relay, RelayPlan, program_state, write_private
from streamkit.live.standby import StandbySwitch, probe_shape, render_slate
from streamkit.live.supervisor import LegView, Supervisor
from streamkit.media.publish import write_text_atomic
from streamkit.media.tools import ffprobe_binary

STATUS_VERSION = 1
POLL_S = 0.5
ACTIONS = ("retry", "disable", "key")


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class EventLog:
    """Append-only JSON lines; each is on disk before ``write`` returns. The legs' thread and the run's both write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: TextIO | None = None  # opened by the first line: a run that never starts leaves nothing open
        self._lock = threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "t": _utc_now(), **fields}, ensure_ascii=False) + "\n"
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("a", encoding="utf-8")
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


class LiveRun:
    """Relay plus legs; ``start`` brings them up, ``stop`` takes everything down and records the end.

    The legs start when the program first reaches the relay, so an early start does not spend their retries on a
    program that is not there yet. A watcher thread polls the relay, takes operator actions and writes the status.
    """

    def __init__(
        self,
        live: LiveSettings,
        targets: list[Target],
        *,
        ffmpeg_bin: str = "ffmpeg",
        feed: str | None = None,
        on_change: Callable[[LegChange], None] = lambda change: None,
    ) -> None:
        self.on_change = on_change
        self.plan = RelayPlan.from_settings(live)
        self.relay = Relay(self.plan)
        self.run_dir = live.run_dir
        self.events = EventLog(self.run_dir / "events.jsonl")
        policy = RetryPolicy.from_settings(live)
        self._program = ProgramState()
        self._legs_started = False
        self._stopping = threading.Event()
        self._started = False
        self._watcher = threading.Thread(target=self._watch, name="live-run", daemon=True)
        self.live = live
        self.ffmpeg_bin = ffmpeg_bin
        self.switch: StandbySwitch | None = None
        self.on_air: Source | None = None
        self._on_air_state = ProgramState()
        # the legs play what is on air: the program, or the standby slate while the program is missing
        self.legs = Supervisor(
            self.plan.on_air_url,
            targets,
            policy,
            ffmpeg_bin=ffmpeg_bin,
            log_dir=self.run_dir / "legs",
            on_change=self._record,
        )
        self.feed: Supervisor | None = None
        if feed is not None:
            relay_in = Target("feed", self.plan.program_url.rsplit("/", 1)[0], PROGRAM)
            self.feed = Supervisor(
                feed,
                [relay_in],
                policy,
                ffmpeg_bin=ffmpeg_bin,
                realtime_file="://" not in feed,
                log_dir=self.run_dir / "legs",
                on_change=self._record,
            )

    def start(self) -> LiveRun:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.relay.start()
        try:
            self.events.write("run_start", publish=self.plan.program_url, hls=self.plan.hls_url)
            if self.feed is not None:
                self.feed.start()
        except BaseException:
            self.relay.stop()
            self.events.close()
            raise
        self._started = True
        self.write_status()
        self._watcher.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(POLL_S):
            self.poll()

    def stop(self) -> None:
        """Take everything down; a run that never started, or was stopped already, is left as it is."""
        if not self._started or self._stopping.is_set():
            return
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        try:
            self.legs.stop()
            if self.switch is not None:
                self.switch.stop()
            if self.feed is not None:
                self.feed.stop()
        finally:
            self.relay.stop()
            self.events.write("run_end")
            self.events.close()
            self.write_status(ended=True)

    def _record(self, change: LegChange) -> None:
        fields = asdict(change)
        fields.update(before=change.before.value, after=change.after.value, reason=redact(change.reason))
        fields.pop("at")
        fields.pop("next_retry_at")
        if change.next_retry_at is not None:
            fields["next_retry_in_s"] = round(change.next_retry_at - change.at, 1)
        self.events.write("leg", **fields)
        self.on_change(change)

    def poll(self) -> None:
        """Take operator actions from ``control/``, note the program coming and going, start the legs when it first
        comes, refresh ``status.json``."""
        for path in sorted((self.run_dir / "control").glob("*.json")):
            self._take_control(path)
        if not self.relay.running:
            self._restart_relay()
        program, on_air = ProgramState(), ProgramState()
        with contextlib.suppress(OSError, ValueError):
            stat = self.relay.stat()
            program, on_air = program_state(stat), program_state(stat, ON_AIR)
        if program.publishing != self._program.publishing:
            self.events.write("program", on_relay=program.publishing)
        self._program, self._on_air_state = program, on_air
        if self._program.publishing and self.switch is None:
            self._start_switch()
        if self._on_air_state.publishing and not self._legs_started:
            self._legs_started = True
            self.legs.start()
        self.write_status()

    def _start_switch(self) -> None:
        """The program reached the relay for the first time: render a slate like it, start the standby switch."""
        shape = probe_shape(self.plan.program_url, ffprobe_bin=ffprobe_binary())
        if shape is None:
            return  # OBS left again before it could be probed; the next poll tries again
        fontfile = None
        if self.live.standby_image is None:
            font = find_cjk_font()
            fontfile = font.file if font is not None else None
        try:
            render_slate(self.plan.slate_path, shape, ffmpeg_bin=self.ffmpeg_bin, image=self.live.standby_image,
                         fontfile=fontfile)  # fmt: skip
        except LiveError as exc:
            self.events.write("standby", state="no slate", error=redact(str(exc)))
            return
        self.events.write("standby", state="ready", **asdict(shape))
        self.switch = StandbySwitch(
            self.plan,
            self.plan.slate_path,
            standby_after_s=self.live.standby_after_s,
            ffmpeg_bin=self.ffmpeg_bin,
            on_switch=self._switched,
        ).start()

    def _switched(self, source: Source) -> None:
        self.on_air = source
        self.events.write("on_air", source=source.value)

    @property
    def program(self) -> ProgramState:
        """The program as the relay last reported it (refreshed every half second)."""
        return self._program

    def _restart_relay(self) -> None:
        """The relay died under the run: start it again; OBS and the legs reconnect by themselves."""
        self.events.write("relay", state="exited")
        try:
            self.relay.stop()
            self.relay.start()
        except StreamkitError as exc:
            self.events.write("relay", state="failed", error=redact(str(exc)))
            return
        self.events.write("relay", state="restarted")

    def _take_control(self, path: Path) -> None:
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            request = {}  # half-written or not ours: dropped below
        finally:
            path.unlink(missing_ok=True)
        if not isinstance(request, dict) or request.get("action") not in ACTIONS:
            return
        name, action = str(request.get("leg")), request["action"]
        try:
            if action == "retry":
                self.legs.retry_now(name)
            elif action == "disable":
                self.legs.disable(name)
            elif action == "key":
                self.legs.replace_key(name, str(request.get("key", "")))
        except KeyError:
            return  # the CLI checked the name against the settings; a stale request is dropped
        self.events.write("operator", leg=name, action=action)

    def write_status(self, *, ended: bool = False) -> None:
        status = {
            "version": STATUS_VERSION,
            "pid": None if ended else os.getpid(),
            "updated": _utc_now(),
            "publish": self.plan.program_url,
            "hls": self.plan.hls_url,
            "program": asdict(self._program),
            "on_air": self.on_air.value if self.on_air is not None else None,
            "legs_started": self._legs_started,
            "legs": [_view_dict(v) for v in self.legs.views()],
            "feed": [_view_dict(v) for v in self.feed.views()] if self.feed is not None else [],
        }
        write_text_atomic(self.run_dir / "status.json", json.dumps(status, ensure_ascii=False, indent=2) + "\n")

    def __enter__(self) -> LiveRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _view_dict(view: LegView) -> dict[str, Any]:
    return {**asdict(view), "state": view.state.value}


def read_status(run_dir: Path) -> dict[str, Any]:
    """The last status a run wrote; LiveError when there is none or its run is gone."""
    path = run_dir / "status.json"
    try:
        status: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LiveError(f"no live run in {run_dir} (start one with 'streamkit live run')") from None
    except ValueError:
        raise LiveError(f"{path} is not a status file") from None
    pid = status.get("pid")
    status["running"] = isinstance(pid, int) and _alive(pid)
    return status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def request_action(run_dir: Path, leg: str, action: str, key: str = "") -> None:
    """Hand an operator action to the running ``streamkit live run`` (a new key travels in a 0600 file)."""
    if action not in ACTIONS:
        raise ValueError(action)
    status = read_status(run_dir)
    if not status["running"]:
        raise LiveError(f"the live run in {run_dir} has ended")
    if leg not in {v["name"] for v in status["legs"]}:
        raise LiveError(f"no leg {leg!r} in the running live push")
    request = {"leg": leg, "action": action, **({"key": key} if key else {})}
    write_private(run_dir / "control" / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.json", json.dumps(request))
