"""Where a quota stands on a given day: met, on track, or late. Pure: the day is an argument.

On track means at least the linear pace: by day *d* of a quota's *n* days (the campaign's first day to the deadline,
both counted) a district should have ``floor(target * d / n)`` items (rounded down, so a target of one is on
track until its deadline day). Before the first day nothing is expected; a
quota not met when its deadline has passed is late, and so is one behind the pace before it.
"""

from __future__ import annotations

import enum
from datetime import date


class Status(enum.StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    LATE = "late"

    @property
    def label(self) -> str:
        return {"met": "已完成", "on_track": "进度正常", "late": "滞后"}[self.value]


def expected_by(target: int, start: date, deadline: date, today: date) -> int:
    """How many items the linear pace asks for by the end of ``today``."""
    days = (deadline - start).days + 1
    elapsed = min(max((today - start).days + 1, 0), days)
    return target * elapsed // days


def quota_status(count: int, target: int, start: date, deadline: date, today: date) -> Status:
    if count >= target:
        return Status.MET
    if today > deadline or count < expected_by(target, start, deadline, today):
        return Status.LATE
    return Status.ON_TRACK
