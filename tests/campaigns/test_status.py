"""Met, on track, late: the linear pace to the deadline, on fixed days."""

from __future__ import annotations

from datetime import date

import pytest

from streamkit.campaigns.status import Status, expected_by, quota_status

START, DEADLINE = date(2020, 2, 10), date(2020, 4, 10)  # 61 days, both counted


@pytest.mark.parametrize(
    ("today", "target", "expected"),
    [
        (date(2020, 2, 1), 10, 0),  # before the start nothing is due
        (date(2020, 2, 10), 10, 0),  # day 1 of 61: floor(10/61)
        (date(2020, 2, 16), 10, 1),  # day 7: floor(70/61)
        (date(2020, 3, 20), 10, 6),  # day 40: floor(400/61)
        (date(2020, 4, 9), 1, 0),  # a target of one is due on its deadline day, not before
        (date(2020, 4, 10), 1, 1),
        (date(2020, 5, 1), 10, 10),  # after the deadline: all of it
    ],
)
def test_the_pace_is_linear_and_rounded_down(today: date, target: int, expected: int) -> None:
    assert expected_by(target, START, DEADLINE, today) == expected


@pytest.mark.parametrize(
    ("count", "target", "today", "status"),
    [
        (10, 10, date(2020, 2, 11), Status.MET),
        (12, 10, date(2020, 5, 1), Status.MET),  # met stays met after the deadline
        (6, 10, date(2020, 3, 20), Status.ON_TRACK),  # exactly the pace
        (5, 10, date(2020, 3, 20), Status.LATE),  # one behind the pace
        (0, 1, date(2020, 4, 9), Status.ON_TRACK),
        (0, 1, date(2020, 4, 10), Status.LATE),  # the deadline day itself, not met
        (9, 10, date(2020, 4, 11), Status.LATE),  # past the deadline
        (0, 10, date(2020, 2, 1), Status.ON_TRACK),  # not started yet
        (0, 0, date(2020, 3, 1), Status.MET),  # nothing to do (no tombs in the district)
    ],
)
def test_status(count: int, target: int, today: date, status: Status) -> None:
    assert quota_status(count, target, START, DEADLINE, today) is status
