"""The rundown's clock, pure: locate, desired outputs, due and overdue cues, recovery after a gap, the resume point."""

from __future__ import annotations

import pytest

from streamkit.ceremony.rundown import Rundown
from streamkit.ceremony.schedule import (
    Recovery,
    ResumePoint,
    desired_outputs,
    due,
    locate,
    overdue,
    recovery,
    resume_point,
)


def _rundown() -> Rundown:
    return Rundown.model_validate(
        {
            "version": 1,
            "title": "t",
            "stream_target": "local",
            "segments": [
                {
                    "name": "a",
                    "scene": "A",
                    "duration": 10,
                    "on_start": {"stream": "start", "record": "start"},
                    "cues": [{"at": 1, "show": "X"}, {"at": 8, "hide": "X"}],
                },
                {"name": "b", "scene": "B", "duration": 10, "overrun": "hold", "cues": [{"at": 2, "show": "Y"}]},
                {"name": "c", "scene": "C", "cues": [{"at": 0.5, "show": "Z"}, {"at": 3, "hide": "Z"}]},
                {"name": "d", "scene": "D", "duration": 5, "on_end": {"stream": "stop", "record": "stop"}},
            ],
        }
    )


@pytest.mark.parametrize(
    ("index", "started", "now", "auto", "expected"),
    [
        (0, 100.0, 105.0, False, (0, 100.0)),  # still inside a
        (0, 100.0, 125.0, False, (1, 110.0)),  # a advanced by itself; b holds for the operator
        (0, 100.0, 500.0, False, (1, 110.0)),  # however long the gap, a hold is not walked past
        (0, 100.0, 121.0, True, (2, 120.0)),  # under --auto the hold has its length
        (0, 100.0, 125.0, True, (3, 122.0)),  # manual c lasts manual_auto_s (2 s) under --auto
        (3, 100.0, 900.0, True, (3, 100.0)),  # the last segment is where it ends
    ],
)
def test_locate_jumps_to_where_the_rundown_should_be(
    index: int, started: float, now: float, auto: bool, expected: tuple[int, float]
) -> None:
    assert locate(_rundown(), index, started, now, auto=auto, manual_auto_s=2.0) == expected


@pytest.mark.parametrize(
    ("index", "closed", "expected"),
    [
        (0, False, {"stream": True, "record": True}),
        (2, False, {"stream": True, "record": True}),
        (3, False, {"stream": True, "record": True}),  # stopped only when d ends
        (3, True, {"stream": False, "record": False}),  # after d's segment_end: its on_end counts
        (0, True, {"stream": True, "record": True}),
    ],
)
def test_desired_outputs_follow_on_start_and_on_end(index: int, closed: bool, expected: dict[str, bool]) -> None:
    assert desired_outputs(_rundown(), index, closed=closed) == expected


@pytest.mark.parametrize(
    ("fired", "elapsed", "due_now", "overdue_now"),
    [
        (set(), 0.5, [], []),
        (set(), 1.0, [0], []),
        (set(), 2.5, [0], [0]),  # more than the grace late: too late to fire
        ({0}, 8.0, [1], []),
        ({0}, 9.5, [1], [1]),
        ({0, 1}, 30.0, [], []),
    ],
)
def test_due_and_overdue_cues(fired: set[int], elapsed: float, due_now: list[int], overdue_now: list[int]) -> None:
    segment = _rundown().segments[0]
    assert due(segment, fired, elapsed) == due_now
    assert overdue(segment, fired, elapsed) == overdue_now


@pytest.mark.parametrize(
    ("index", "started", "fired", "now", "auto", "expected"),
    [
        # a short gap inside a: the cue at 1 s is only just due, so it still fires (not skipped, not done)
        (0, 100.0, set(), 101.5, False, Recovery(0, 100.0, (), frozenset())),
        # a longer gap inside a: the cue at 1 s is skipped and counts as done
        (0, 100.0, set(), 105.0, False, Recovery(0, 100.0, ((0, 0),), frozenset({0}))),
        # a cue already fired stays fired and is not skipped again
        (0, 100.0, {0}, 105.0, False, Recovery(0, 100.0, (), frozenset({0}))),
        # a ended in the gap: its last cue is skipped, b is on air, b's cue at 2 s is still ahead
        (0, 100.0, {0}, 111.0, False, Recovery(1, 110.0, ((0, 1),), frozenset())),
        # under --auto into c: all of a and b skipped, and c's first cue fell into the gap too
        (
            0,
            100.0,
            {0},
            122.0,
            True,
            Recovery(2, 120.0, ((0, 1), (1, 0), (2, 0)), frozenset({0})),
        ),
    ],
)
def test_recovery_skips_what_fell_into_the_gap_and_never_replays(
    index: int, started: float, fired: set[int], now: float, auto: bool, expected: Recovery
) -> None:
    assert recovery(_rundown(), index, started, fired, now, auto=auto, manual_auto_s=5.0) == expected


def _entries() -> list[dict[str, object]]:
    return [
        {"event": "run_start", "epoch": 100.0},
        {"event": "segment_start", "index": 0, "name": "开场", "epoch": 100.0},
        {"event": "cue", "segment": 0, "cue": 0, "result": "ok", "epoch": 101.0},
        {"event": "segment_end", "index": 0, "name": "开场", "epoch": 110.0},
        {"event": "segment_start", "index": 1, "name": "默哀", "epoch": 110.0},
        {"event": "cue", "segment": 1, "cue": 0, "result": "ok", "epoch": 111.0},
        {"event": "skipped", "segment": 1, "cue": 1, "epoch": 115.3},
        {"event": "jump", "index": 2, "name": "结束", "epoch": 115.3},
        {"event": "segment_end", "index": 2, "name": "结束", "epoch": 120.0},
    ]


@pytest.mark.parametrize(
    ("upto", "expected"),
    [
        (3, ResumePoint(0, 100.0, frozenset({0}), closed_at=None)),
        (4, ResumePoint(0, 100.0, frozenset({0}), closed_at=110.0)),  # killed between segments
        (7, ResumePoint(1, 110.0, frozenset({0, 1}), closed_at=None)),
        (8, ResumePoint(2, 115.3, frozenset(), closed_at=None)),
        (9, ResumePoint(2, 115.3, frozenset(), closed_at=120.0)),  # killed during the closing
    ],
)
def test_resume_point_from_the_log(upto: int, expected: ResumePoint) -> None:
    assert resume_point(_entries()[:upto]) == expected
