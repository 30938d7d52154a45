"""Partial and uncertain dates: the text kept, the range it allows, the bad ones refused."""

from __future__ import annotations

from datetime import date

import pytest

from streamkit.register.dates import DateTextError, parse_date

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "uncertain"),
    [
        ("1947", date(1947, 1, 1), date(1947, 12, 31), False),
        ("1947年", date(1947, 1, 1), date(1947, 12, 31), False),
        ("1947年3月", date(1947, 3, 1), date(1947, 3, 31), False),
        ("1948年2月", date(1948, 2, 1), date(1948, 2, 29), False),
        ("1947.3.5", date(1947, 3, 5), date(1947, 3, 5), False),
        ("1947-03-05", date(1947, 3, 5), date(1947, 3, 5), False),
        ("1947/3", date(1947, 3, 1), date(1947, 3, 31), False),
        ("1947年3月5日", date(1947, 3, 5), date(1947, 3, 5), False),
        ("1938年春", date(1938, 3, 1), date(1938, 5, 31), False),
        ("1938年冬", date(1938, 12, 1), date(1939, 2, 28), False),
        ("1947年?", date(1947, 1, 1), date(1947, 12, 31), True),
        ("约1947年", date(1947, 1, 1), date(1947, 12, 31), True),
        ("1947年左右", date(1947, 1, 1), date(1947, 12, 31), True),
        ("1949年3月下旬", date(1949, 3, 21), date(1949, 3, 31), False),
        ("一九四七年三月", date(1947, 3, 1), date(1947, 3, 31), False),
        ("一九五〇年十二月二十五日", date(1950, 12, 25), date(1950, 12, 25), False),
        ("1951年下半年", date(1951, 7, 1), date(1951, 12, 31), False),
    ],
)
def test_partial_dates_keep_text_and_range(text: str, earliest: date, latest: date, uncertain: bool) -> None:
    span = parse_date(text, today=TODAY)
    assert (span.text, span.earliest, span.latest, span.uncertain) == (text, earliest, latest, uncertain)


def test_blank_is_unknown_not_an_error() -> None:
    span = parse_date("  ", today=TODAY)
    assert (span.earliest, span.latest, span.year) == (None, None, None)


def test_year_only_when_the_range_stays_in_one_year() -> None:
    assert parse_date("1947年3月", today=TODAY).year == 1947
    assert parse_date("1938年冬", today=TODAY).year is None


@pytest.mark.parametrize("text", ["1947年13月", "1947.2.30", "十九", "1700", "2030", "1947年春夏", "abc"])
def test_unreadable_dates_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(DateTextError, match="bad date"):
        parse_date(text, today=TODAY)
