"""Runs the legs: one ffmpeg per destination, started, stopped and restarted as the leg state machine says.

One thread owns every ``Leg``: process callbacks, operator actions and a regular tick all arrive through one queue,
so the machine sees events in order and no lock guards the legs themselves (only the published snapshot).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from streamkit.live import leg as machine
from streamkit.live.destinations import Target
from streamkit.live.leg import Leg, LegChange, LegState, RetryPolicy
from streamkit.live.masking import redact
from streamkit.media.commands import stream_copy_argv
from streamkit.media.runner import ProgressState, RunningFFmpeg

Clock = Callable[[], float]
TICK_S = 0.25
ERROR_LINE_MAX = 200


@dataclass(frozen=True)
class _ProcessEvent:
    name: str
    event: machine.Event


@dataclass(frozen=True)
class _Operator:
    name: str
    action: str  # "retry" | "disable" | "key"
    key: str = field(default="", repr=False)


@dataclass(frozen=True)
class _Shutdown:
    pass


@dataclass(frozen=True)
class LegView:
    """One leg as the operator may see it: the destination masked, nothing secret."""

    name: str
    destination: str
    state: LegState
    attempts: int
    bitrate: int
    uptime_s: float | None
    next_retry_in_s: float | None
    last_error: str
    pid: int | None


class Supervisor:
    """Keeps one push per destination going from ``source`` until ``stop``."""

    def __init__(
        self,
        source: str,
        targets: Sequence[Target],
        policy: RetryPolicy,
        *,
        ffmpeg_bin: str = "ffmpeg",
        realtime_file: bool = False,
        log_dir: Path | None = None,
        on_change: Callable[[LegChange], None] = lambda change: None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.source = source
        self.targets = {t.name: t for t in targets}
        self._keys = {t.key for t in targets}  # every key ever used, so a replaced one is still masked
        self.policy = policy
        self.ffmpeg_bin = ffmpeg_bin
        self.realtime_file = realtime_file  # the source is a file: read it at its own pace, over and over
        self.log_dir = log_dir
        self.on_change = on_change
        self.clock = clock
        self._legs: dict[str, Leg] = {}
        self._processes: dict[str, RunningFFmpeg] = {}
        self._inbox: queue.Queue[_ProcessEvent | _Operator | _Shutdown] = queue.Queue()
        self._views: list[LegView] = []
        self._views_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="live-legs", daemon=True)

    # the operator's side: safe from any thread
    def start(self) -> Supervisor:
        now = self.clock()
        for target in self.targets.values():
            self._apply(target.name, machine.begin(target.name, now, enabled=target.enabled))
        self._publish()
        self._thread.start()
        return self

    def retry_now(self, name: str) -> None:
        self._inbox.put(_Operator(self._known(name), "retry"))

    def disable(self, name: str) -> None:
        self._inbox.put(_Operator(self._known(name), "disable"))

    def replace_key(self, name: str, key: str) -> None:
        """Push to ``name`` with a new stream key from now on (the leg restarts)."""
        self._inbox.put(_Operator(self._known(name), "key", key.strip()))

    def views(self) -> list[LegView]:
        with self._views_lock:
            return list(self._views)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._inbox.put(_Shutdown())
            self._thread.join()

    def secrets(self) -> list[str]:
        return sorted(self._keys)

    def _known(self, name: str) -> str:
        if name not in self.targets:
            raise KeyError(name)
        return name

    # the supervisor thread
    def _loop(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=TICK_S)
            except queue.Empty:
                item = None
            if isinstance(item, _Shutdown):
                break
            if isinstance(item, _ProcessEvent):
                self._feed(item.name, item.event)
            elif isinstance(item, _Operator):
                self._operate(item)
            now = self.clock()
            for name in list(self._legs):
                self._feed(name, machine.Tick(now))
            self._publish()
        now = self.clock()
        for name in list(self._legs):
            self._feed(name, machine.Shutdown(now))
        self._publish()

    def _operate(self, item: _Operator) -> None:
        now = self.clock()
        if item.action == "disable":
            self._feed(item.name, machine.Disable(now))
            return
        reason = "retry requested"
        if item.action == "key":
            self.targets[item.name] = replace(self.targets[item.name], key=item.key)
            self._keys.add(item.key)
            reason = "key replaced"
        self._feed(item.name, machine.RetryNow(now, reason))

    def _feed(self, name: str, event: machine.Event) -> None:
        self._apply(name, machine.step(self._legs[name], event, self.policy))

    def _apply(self, name: str, result: machine.Step) -> None:
        leg, actions, change = result
        self._legs[name] = leg
        for action in actions:
            if isinstance(action, machine.Stop):
                process = self._processes.pop(name, None)
                if process is not None:
                    process.stop()
            else:
                self._spawn(name, action.generation)
        if leg.state not in machine.RUNNING:
            self._processes.pop(name, None)  # it ended on its own
        if change is not None:
            self.on_change(change)

    def _spawn(self, name: str, generation: int) -> None:
        target = self.targets[name]
        paced = self.realtime_file
        argv = stream_copy_argv(self.source, target.push_url, ffmpeg_bin=self.ffmpeg_bin, realtime=paced, loop=paced)

        def progress(state: ProgressState) -> None:
            self._inbox.put(_ProcessEvent(name, machine.Progress(generation, self.clock(), state.total_size)))

        def exited(returncode: int, stderr_tail: str) -> None:
            error = self._error_line(name, stderr_tail)
            self._inbox.put(_ProcessEvent(name, machine.Exited(generation, self.clock(), returncode, error)))

        self._processes[name] = RunningFFmpeg(argv, label=f"live leg {name}", on_progress=progress, on_exit=exited)

    def _error_line(self, name: str, stderr_tail: str) -> str:
        """The last line of ffmpeg's complaint, keys masked; the whole masked tail goes to the leg's log."""
        text = redact(stderr_tail, self.secrets())
        if self.log_dir is not None and text.strip():
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with (self.log_dir / f"{name}.log").open("a", encoding="utf-8") as handle:
                handle.write(text.rstrip("\n") + "\n")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1][:ERROR_LINE_MAX] if lines else ""

    def _publish(self) -> None:
        now = self.clock()
        views = [self._view(leg, now) for leg in self._legs.values()]
        with self._views_lock:
            self._views = views

    def _view(self, leg: Leg, now: float) -> LegView:
        process = self._processes.get(leg.name)
        return LegView(
            name=leg.name,
            destination=self.targets[leg.name].shown,
            state=leg.state,
            attempts=leg.attempts,
            bitrate=leg.bitrate,
            uptime_s=None if leg.live_since is None else round(now - leg.live_since, 1),
            next_retry_in_s=None if leg.next_retry_at is None else round(max(0.0, leg.next_retry_at - now), 1),
            last_error=leg.last_error,
            pid=process.pid if process is not None and leg.state in machine.RUNNING else None,
        )
