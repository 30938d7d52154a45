"""The runner's interface: its options, the operator's commands in, the status the console shows out, the log writer."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

from streamkit.ceremony.asrun import Entry


class Action(enum.Enum):
    NEXT = "next"
    HOLD = "hold"
    BACK = "back"
    JUMP = "jump"
    PANIC = "panic"
    END = "end"
    LEG_RETRY = "leg_retry"  # a live push destination: try again now (also brings back a failed or disabled one)
    LEG_DISABLE = "leg_disable"  # stop pushing there for the rest of the run


@dataclass(frozen=True)
class Command:
    action: Action
    segment: int | None = None  # for JUMP
    leg: str | None = None  # for LEG_RETRY, LEG_DISABLE


@dataclass(frozen=True)
class RunOptions:
    auto: bool = False
    rehearsal: bool = False
    manual_auto_s: float = 5.0  # how long a segment without duration lasts under --auto
    confirm_timeout_s: float = 3.0
    output_timeout_s: float = 20.0
    tick_s: float = 0.05
    start_at: float | None = None  # --auto: hold the standby scene until this epoch (the scheduled start)


class LogWriter(Protocol):
    """Writes one as-run entry (and remembers it for the run)."""

    def __call__(self, event: str, **fields: Any) -> Entry: ...


@dataclass
class RunStatus:
    """What the operator console shows; read-only for everyone but the runner and its parts."""

    index: int = -1
    segment_started: float = 0.0  # epoch
    hold: bool = False
    panic: bool = False
    link_up: bool = True
    reconnecting_since: float | None = None
    stream: str = "off"
    record: str = "off"
    ended: bool = False
    last: str = ""
    health: str = ""  # stream bitrate, congestion, dropped frames (polled while streaming; empty when not)
    off_air_since: float | None = None  # epoch the stream dropped while it should have been on air
