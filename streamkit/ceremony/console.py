"""A minimal keyboard operator console on rich: on air / next, elapsed and remaining, overrun in red, outputs, link.

Keys: space or n take next, h hold/release, b back, 1-9 jump to segment, p panic (standby slate), q end.
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

KEYS = {" ": Action.NEXT, "n": Action.NEXT, "h": Action.HOLD, "b": Action.BACK, "p": Action.PANIC, "q": Action.END}


def command_for_key(key: str) -> Command | None:
    if key in KEYS:
        return Command(KEYS[key])
    if key.isdigit() and key != "0":
        return Command(Action.JUMP, int(key) - 1)
    return None


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
    table.caption = (
        f"{link} | {stream} | record {status.record}{' | HOLD' if status.hold else ''}{until}\n"
        f"{status.last}\nkeys: space/n next  h hold  b back  1-9 jump  p panic  q end"
    )
    return table


class KeyReader:
    """Reads single keys from a terminal in a thread and posts commands to the runner's queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Command]) -> None:
        self.loop, self.queue = loop, queue
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
                    command = command_for_key(os.read(fd, 1).decode(errors="ignore").lower())
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
        KeyReader(asyncio.get_running_loop(), runner.commands),
    ):
        while not runner.status.ended:
            live.update(render(runner))
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.25)
