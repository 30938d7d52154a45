"""A minimal keyboard operator console on rich: on air / next, elapsed and remaining, overrun in red, outputs, link.

Keys: space or n take next, h hold/release, b back, 1-9 jump to segment, p panic (standby slate), q end; with live
destinations, r then a leg's number retries that leg now, d then its number disables it. The legs are listed under
the rundown: state, bitrate, uptime, next retry and last error, the destinations masked.
Keys are read in a thread (cbreak mode) and handed to the runner's command queue; the console only reads status.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import sys
import termios
import threading
import tty
from datetime import datetime

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from streamkit.ceremony.runner import CeremonyRunner
from streamkit.ceremony.schedule import segment_length
from streamkit.ceremony.status import Action, Command
from streamkit.live.leg import LegState
from streamkit.live.supervisor import LegView

KEYS = {" ": Action.NEXT, "n": Action.NEXT, "h": Action.HOLD, "b": Action.BACK, "p": Action.PANIC, "q": Action.END}


def command_for_key(key: str) -> Command | None:
    if key in KEYS:
        return Command(KEYS[key])
    if key.isdigit() and key != "0":
        return Command(Action.JUMP, int(key) - 1)
    return None


LEG_PREFIXES = {"r": Action.LEG_RETRY, "d": Action.LEG_DISABLE}
LEG_STYLES = {LegState.LIVE: "bold green", LegState.FAILED: "bold red", LegState.STALLED: "bold yellow"}


class KeyParser:
    """Single keys to commands; ``r``/``d`` wait for a leg's number (1-based, as the console lists the legs)."""

    def __init__(self, legs: list[str]) -> None:
        self.legs = legs
        self.pending: Action | None = None

    def feed(self, key: str) -> Command | None:
        if self.pending is not None:
            action, self.pending = self.pending, None
            if key.isdigit() and 1 <= int(key) <= len(self.legs):
                return Command(action, leg=self.legs[int(key) - 1])
            return None  # any other key cancels the prefix
        if key in LEG_PREFIXES and self.legs:
            self.pending = LEG_PREFIXES[key]
            return None
        return command_for_key(key)


def _clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    return f"{sign}{seconds // 60:02d}:{seconds % 60:02d}"


def render(runner: CeremonyRunner) -> Table:
    status = runner.status
    rundown = runner.rundown
    table = Table(title=f"{rundown.title} — {datetime.now().strftime('%H:%M:%S')}", expand=True)
    for column in ("", "segment", "scene", "planned", "elapsed", "remaining"):
        table.add_column(column)
    now = runner.clock()
    for i, segment in enumerate(rundown.segments):
        marker, elapsed, remaining, style = "", "", "", ""
        if i == status.index:
            marker = "ON AIR" if not status.panic else "STANDBY"
            spent = now - status.segment_started
            elapsed = _clock(spent)
            if segment.duration is not None:
                left = segment.duration / 1000 - spent
                remaining = _clock(left) if left >= 0 else f"+{_clock(-left)} OVER"
                style = "bold red" if left < 0 else "bold green"
        elif i == status.index + 1:
            marker = "next"
        length = segment_length(segment, auto=runner.options.auto, manual_auto_s=runner.options.manual_auto_s)
        planned = _clock(segment.duration / 1000) if segment.duration else "manual"
        if length is None and segment.duration:
            planned += " hold"
        table.add_row(marker, segment.name, segment.scene, planned, elapsed, Text(remaining, style=style))
    link = "OBS linked" if status.link_up else f"RECONNECTING {int(now - (status.reconnecting_since or now))} s"
    start = rundown.scheduled_start
    until = f"; starts in {_clock(start.timestamp() - now)}" if start and start.timestamp() > now else ""
    stream = f"stream {status.stream}" + (f" ({status.health})" if status.health else "")
    if status.off_air_since is not None:
        stream += f" OFF AIR {int(now - status.off_air_since)} s"
    keys = "keys: space/n next  h hold  b back  1-9 jump  p panic  q end"
    if runner.live is not None:
        keys += "  r<leg> retry leg  d<leg> disable leg"
        if runner.live.on_air == "standby":
            stream += " | STANDBY SLATE to every platform (the program is not reaching the relay)"
        for number, view in enumerate(runner.live.views(), 1):
            table.add_row(*leg_row(number, view))
    table.caption = (
        f"{link} | {stream} | record {status.record}{' | HOLD' if status.hold else ''}{until}\n{status.last}\n{keys}"
    )
    return table


def leg_row(number: int, view: LegView) -> tuple[str, str, str, str, str, Text]:
    """One leg as a row under the segments: number, name, masked destination, state, rate and uptime, trouble."""
    rate = f"{view.bitrate // 1000} kbit/s" if view.state is LegState.LIVE else ""
    uptime = f"up {_clock(view.uptime_s)}" if view.uptime_s is not None else ""
    trouble = []
    if view.state is LegState.RETRYING and view.next_retry_in_s is not None:
        trouble.append(f"retry {view.attempts + 1} in {view.next_retry_in_s:.0f} s")
    if view.last_error:
        trouble.append(view.last_error)
    state = Text(view.state.value.upper(), style=LEG_STYLES.get(view.state, ""))
    return (f"leg {number}", view.name, view.destination, rate, uptime, state + Text(" " + "; ".join(trouble)))


class KeyReader:
    """Reads single keys from a terminal in a thread and posts commands to the runner's queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Command], legs: list[str]) -> None:
        self.loop, self.queue = loop, queue
        self.parser = KeyParser(legs)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> KeyReader:
        if sys.stdin.isatty():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    def _read(self) -> None:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            # TCSANOW, not setcbreak's default TCSAFLUSH, which would throw away a key pressed while starting up
            tty.setcbreak(fd, termios.TCSANOW)
            while not self._stop.is_set():
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    command = self.parser.feed(os.read(fd, 1).decode(errors="ignore").lower())
                    if command is not None:
                        self.loop.call_soon_threadsafe(self.queue.put_nowait, command)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def show(runner: CeremonyRunner, console: Console) -> None:
    """Refresh the console until the run ends (a no-op screen when not on a terminal)."""
    if not console.is_terminal:
        while not runner.status.ended:
            await asyncio.sleep(0.5)
        return
    with (
        Live(render(runner), console=console, refresh_per_second=4) as live,
        KeyReader(asyncio.get_running_loop(), runner.commands, runner.live.names() if runner.live else []),
    ):
        while not runner.status.ended:
            live.update(render(runner))
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.25)
