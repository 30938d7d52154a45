"""One leg's life as a pure state machine: events in, a new ``Leg``, actions and a state change out.

``connecting → live → stalled → retrying → failed``, plus ``disabled`` by the operator. A leg is *live* only while
bytes move: a process that lives but sends nothing is *stalled* after ``stall_after_s`` and restarted after as long
again. A failed start waits ``retry_first_s``, doubled per attempt up to ``retry_max_s``; after ``max_attempts``
failures in a row the leg is *failed* until the operator retries it. Reaching *live* clears the count.

Every process start gets a new ``generation``; events from an older process are ignored, so a late exit of a
process that was already replaced cannot touch its successor. Time is whatever clock the caller passes in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from streamkit.config.settings import LiveSettings


class LegState(StrEnum):
    IDLE = "idle"  # before the run starts
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    RETRYING = "retrying"
    FAILED = "failed"
    DISABLED = "disabled"
    STOPPED = "stopped"  # the run ended


RUNNING = frozenset({LegState.CONNECTING, LegState.LIVE, LegState.STALLED})  # a process exists


@dataclass(frozen=True)
class RetryPolicy:
    stall_after_s: float = 5.0
    connect_timeout_s: float = 15.0
    retry_first_s: float = 1.0
    retry_max_s: float = 30.0
    max_attempts: int = 6

    @classmethod
    def from_settings(cls, live: LiveSettings) -> RetryPolicy:
        return cls(live.stall_after_s, live.connect_timeout_s, live.retry_first_s, live.retry_max_s, live.max_attempts)

    def backoff_s(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based)."""
        return float(min(self.retry_first_s * 2 ** (attempt - 1), self.retry_max_s))


@dataclass(frozen=True)
class Leg:
    """Where one destination's push stands; ``now`` values come from the caller's clock (seconds)."""

    name: str
    state: LegState
    since: float  # when ``state`` was entered
    generation: int = 0  # which process events must come from
    attempts: int = 0  # failures in a row
    bytes_sent: int = 0  # by the current process
    moved_at: float = 0.0  # last time bytes_sent grew (or the process started)
    reported_at: float = 0.0  # last progress report, for the bitrate
    bitrate: int = 0  # bit/s between the last two reports
    live_since: float | None = None
    next_retry_at: float | None = None
    last_error: str = ""


# Events
@dataclass(frozen=True)
class Progress:
    generation: int
    now: float
    total_size: int


@dataclass(frozen=True)
class Exited:
    generation: int
    now: float
    returncode: int
    error: str  # already free of secrets


@dataclass(frozen=True)
class Tick:
    now: float


@dataclass(frozen=True)
class RetryNow:
    """The operator's "retry now" (also: enable a disabled leg; restart after the key was replaced)."""

    now: float
    reason: str = "retry requested"


@dataclass(frozen=True)
class Disable:
    now: float


@dataclass(frozen=True)
class Shutdown:
    now: float


Event = Progress | Exited | Tick | RetryNow | Disable | Shutdown


# Actions
@dataclass(frozen=True)
class Start:
    generation: int


@dataclass(frozen=True)
class Stop:
    generation: int


Action = Start | Stop


@dataclass(frozen=True)
class LegChange:
    """A state change, for the event log and the operator."""

    leg: str
    before: LegState
    after: LegState
    at: float
    attempts: int
    reason: str = ""
    next_retry_at: float | None = None


Step = tuple[Leg, tuple[Action, ...], LegChange | None]


def begin(name: str, now: float, *, enabled: bool = True) -> Step:
    """A new leg: connecting with its first process, or disabled."""
    idle = Leg(name, LegState.IDLE, now)
    if not enabled:
        return _enter(idle, LegState.DISABLED, now, "disabled in settings", ())
    return _start(idle, now, "run started")


def step(leg: Leg, event: Event, policy: RetryPolicy) -> Step:
    """The leg after ``event``, the actions the supervisor must take, and the state change if there was one."""
    if isinstance(event, Progress):
        return _progress(leg, event)
    if isinstance(event, Exited):
        if event.generation != leg.generation or leg.state not in RUNNING:
            return leg, (), None  # a process we already stopped or replaced
        error = event.error or f"ffmpeg ended (code {event.returncode})"
        return _failure(leg, event.now, error, policy, ())
    if isinstance(event, Tick):
        return _tick(leg, event.now, policy)
    stop = (Stop(leg.generation),) if leg.state in RUNNING else ()
    if isinstance(event, Shutdown):
        return _enter(leg, LegState.STOPPED, event.now, "run ended", stop)
    if leg.state is LegState.STOPPED:
        return leg, (), None
    if isinstance(event, Disable):
        if leg.state is LegState.DISABLED:
            return leg, (), None
        return _enter(leg, LegState.DISABLED, event.now, "disabled by the operator", stop, attempts=0)
    restarted, actions, change = _start(dataclasses.replace(leg, attempts=0), event.now, event.reason)
    return restarted, stop + actions, change


def _start(leg: Leg, now: float, reason: str) -> Step:
    generation = leg.generation + 1
    started = dataclasses.replace(leg, generation=generation, bytes_sent=0, moved_at=now, reported_at=now, bitrate=0)
    return _enter(started, LegState.CONNECTING, now, reason, (Start(generation),), next_retry_at=None)


def _progress(leg: Leg, event: Progress) -> Step:
    if event.generation != leg.generation or leg.state not in RUNNING:
        return leg, (), None
    moved = event.total_size > leg.bytes_sent
    elapsed = event.now - leg.reported_at
    bitrate = round((event.total_size - leg.bytes_sent) * 8 / elapsed) if elapsed > 0 else leg.bitrate
    updated = dataclasses.replace(
        leg,
        bytes_sent=max(leg.bytes_sent, event.total_size),
        moved_at=event.now if moved else leg.moved_at,
        reported_at=event.now,
        bitrate=max(0, bitrate),
    )
    if moved and leg.state is not LegState.LIVE:
        live_since = leg.live_since if leg.state is LegState.STALLED else event.now
        return _enter(updated, LegState.LIVE, event.now, "bytes moving", (), attempts=0, live_since=live_since)
    return updated, (), None


def _tick(leg: Leg, now: float, policy: RetryPolicy) -> Step:
    quiet = now - leg.moved_at
    if leg.state is LegState.RETRYING and leg.next_retry_at is not None and now >= leg.next_retry_at:
        return _start(leg, now, f"attempt {leg.attempts + 1}")
    if leg.state is LegState.CONNECTING and quiet >= policy.connect_timeout_s:
        error = f"nothing sent within {policy.connect_timeout_s:g} s"
        return _failure(leg, now, error, policy, (Stop(leg.generation),))
    if leg.state is LegState.LIVE and quiet >= policy.stall_after_s:
        return _enter(leg, LegState.STALLED, now, f"no bytes for {policy.stall_after_s:g} s", (), bitrate=0)
    if leg.state is LegState.STALLED and quiet >= 2 * policy.stall_after_s:
        return _failure(leg, now, f"stalled for {quiet:.0f} s", policy, (Stop(leg.generation),))
    return leg, (), None


def _failure(leg: Leg, now: float, error: str, policy: RetryPolicy, actions: tuple[Action, ...]) -> Step:
    attempts = leg.attempts + 1
    if attempts >= policy.max_attempts:
        reason = f"{error}; gave up after {attempts} attempts"
        return _enter(leg, LegState.FAILED, now, reason, actions, attempts=attempts, last_error=error)
    retry_at = now + policy.backoff_s(attempts)
    return _enter(
        leg, LegState.RETRYING, now, error, actions, attempts=attempts, last_error=error, next_retry_at=retry_at
    )


def _enter(leg: Leg, state: LegState, now: float, reason: str, actions: tuple[Action, ...], **changes: object) -> Step:
    if state is not LegState.LIVE and state is not LegState.STALLED:
        changes.setdefault("live_since", None)
        changes.setdefault("bitrate", 0)
    after = dataclasses.replace(leg, state=state, since=now, **changes)  # type: ignore[arg-type]
    change = LegChange(leg.name, leg.state, state, now, after.attempts, reason, after.next_retry_at)
    return after, actions, change
