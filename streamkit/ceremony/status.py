"""What a run looks like from outside: the status the operator console shows, and the as-run log's writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from streamkit.ceremony.asrun import Entry


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
