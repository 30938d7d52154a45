"""The rundown's clock, pure: where a run should be at a moment, which cues are due or overdue, what to do after a gap.

No I/O and no OBS here: the runner asks these functions and then acts, so every timing rule is tested with a table.
Times are epochs in seconds (the runner's clock); cue offsets come from the rundown in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from streamkit.ceremony.rundown import Rundown, Segment

LATE_GRACE_S = 1.0  # a cue found this late after a gap is skipped, not fired


def segment_length(segment: Segment, *, auto: bool, manual_auto_s: float) -> float | None:
    """Seconds after which the segment advances by itself, or None when only the operator advances it."""
    if segment.auto_advances or (auto and segment.duration is not None):
        return (segment.duration or 0) / 1000
    if auto:
        return manual_auto_s
    return None


def locate(
    rundown: Rundown, index: int, started: float, now: float, *, auto: bool, manual_auto_s: float
) -> tuple[int, float]:
    """Where the rundown should be at ``now`` if nobody touched it since segment ``index`` started at ``started``.

    Auto-advancing segments are walked forward by their durations; a hold or manual segment stops the walk (it waits
    for the operator), except under --auto, where every segment has a length.
    """
    while index < len(rundown.segments) - 1:
        length = segment_length(rundown.segments[index], auto=auto, manual_auto_s=manual_auto_s)
        if length is None or now < started + length:
            break
        started += length
        index += 1
    return index, started


def desired_outputs(rundown: Rundown, index: int, *, closed: bool = False) -> dict[str, bool]:
    """Which outputs should be on while segment ``index`` is on air (or, ``closed``, just after it ended)."""
    wanted: dict[str, bool] = {"stream": False, "record": False}
    for i, segment in enumerate(rundown.segments[: index + 1]):
        changes = [segment.on_start] if i == index and not closed else [segment.on_start, segment.on_end]
        for outputs in changes:
            if outputs.stream:
                wanted["stream"] = outputs.stream == "start"
            if outputs.record:
                wanted["record"] = outputs.record == "start"
    return wanted


def due(segment: Segment, fired: Iterable[int], elapsed: float) -> list[int]:
    """Cues of ``segment`` not yet fired whose time has come ``elapsed`` seconds into it."""
    done = set(fired)
    return [n for n, cue in enumerate(segment.cues) if n not in done and elapsed >= cue.at / 1000]


def overdue(segment: Segment, fired: Iterable[int], elapsed: float) -> list[int]:
    """Cues not yet fired that came due more than the grace before ``elapsed``: too late to fire, to be skipped."""
    done = set(fired)
    return [n for n, cue in enumerate(segment.cues) if n not in done and cue.at / 1000 < elapsed - LATE_GRACE_S]


@dataclass(frozen=True)
class Recovery:
    """After a gap: the segment on air now, when it started, the cues to log as skipped, the cues that count as done."""

    index: int
    started: float
    skipped: tuple[tuple[int, int], ...]  # (segment, cue)
    fired: frozenset[int]  # in segment ``index``

    def jumped_from(self, before: int) -> bool:
        return self.index != before


def recovery(
    rundown: Rundown,
    index: int,
    started: float,
    fired: Iterable[int],
    now: float,
    *,
    auto: bool,
    manual_auto_s: float,
) -> Recovery:
    """Where to go after the controller could not act from some time in segment ``index`` until ``now``.

    Cues that fell into the gap are skipped, never replayed late; a cue only just due (within the grace) still fires.
    """
    done = set(fired)
    to, to_started = locate(rundown, index, started, now, auto=auto, manual_auto_s=manual_auto_s)
    skipped: list[tuple[int, int]] = []
    for seg in range(index, to + 1):
        seg_started = started if seg == index else to_started
        for number, cue in enumerate(rundown.segments[seg].cues):
            if seg == index and number in done:
                continue
            if seg < to or seg_started + cue.at / 1000 < now - LATE_GRACE_S:
                skipped.append((seg, number))
    now_fired = {n for s, n in skipped if s == to}
    if to == index:
        now_fired |= done
    return Recovery(to, to_started, tuple(skipped), frozenset(now_fired))


@dataclass(frozen=True)
class ResumePoint:
    index: int
    started: float  # epoch when that segment went on air
    fired: frozenset[int]
    closed_at: float | None = None  # its segment_end was logged at this epoch: the segment is over

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


def resume_point(entries: Iterable[Mapping[str, Any]]) -> ResumePoint:
    """The last segment on air in an as-run log, the cues already fired in it, and whether it was closed."""
    entries = list(entries)
    index, started = 0, float(entries[0]["epoch"])
    fired: set[int] = set()
    closed_at: float | None = None
    for e in entries:
        event = e.get("event")
        if event in ("segment_start", "jump"):
            index, started, fired, closed_at = int(e["index"]), float(e["epoch"]), set(), None
        elif event in ("cue", "skipped") and int(e.get("segment", -1)) == index:
            fired.add(int(e["cue"]))
        elif event == "segment_end" and int(e.get("index", -1)) == index:
            closed_at = float(e["epoch"])
    return ResumePoint(index, started, frozenset(fired), closed_at)
