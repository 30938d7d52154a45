"""Partial and uncertain dates as registers write them, kept as the original text and the range it can mean.

"1947", "1947年3月", "1947.3.5", "1938年春", "1947年?", "约1947年", "1947年3月下旬", "一九四七年三月" all parse; the
range is the earliest and the latest day the text allows, so a search for deaths in 1947 finds "1947年?" too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

EARLIEST_YEAR = 1800

_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九○", "001234567890")
_CHINESE_NUMBER = re.compile(r"[〇零○一二三四五六七八九十]+")
# Month ranges of the seasons and parts of a year; winter runs into the next year.
_SEASONS = {"春": (3, 5), "夏": (6, 8), "秋": (9, 11), "冬": (12, 14), "年初": (1, 3), "年中": (5, 8)}
_SEASONS |= {"年底": (10, 12), "年末": (10, 12), "上半年": (1, 6), "下半年": (7, 12)}
_TEN_DAYS = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31)}
_UNCERTAIN = re.compile(r"^(约|大约|大概|估计)|[?？]|(左右|前后|许)$")
_NUMERIC = re.compile(r"^(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$")
_CHINESE = re.compile(
    r"^(?P<year>\d{4})年?(?:(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号]?|(?P<ten>上旬|中旬|下旬))?"
    r"|(?P<season>春|夏|秋|冬|年初|年中|年底|年末|上半年|下半年)季?)?$"
)


class DateTextError(ValueError):
    """The text is not a date a register would write."""


@dataclass(frozen=True)
class DateSpan:
    """What a date text says: the text itself and the earliest and latest day it allows (both None when blank)."""

    text: str
    earliest: date | None
    latest: date | None
    uncertain: bool = False

    @property
    def year(self) -> int | None:
        """The year when the text pins one down (a winter may run into the next year: None)."""
        if self.earliest is None or self.latest is None or self.earliest.year != self.latest.year:
            return None
        return self.earliest.year


def _chinese_number(match: re.Match[str]) -> str:
    text = match.group(0)
    if "十" not in text:
        return text.translate(_CHINESE_DIGITS)
    tens, _, ones = text.partition("十")
    return str(int(tens.translate(_CHINESE_DIGITS) or "1") * 10 + int(ones.translate(_CHINESE_DIGITS) or "0"))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _span(
    year: int, first_month: int, last_month: int, first_day: int = 1, last_day: int | None = None
) -> tuple[date, date]:
    end_year, end_month = year + (last_month - 1) // 12, (last_month - 1) % 12 + 1
    latest = _month_end(end_year, end_month)
    if last_day is not None:
        latest = latest.replace(day=min(last_day, latest.day))
    return date(year, first_month, first_day), latest


def parse_date(text: str, *, today: date | None = None) -> DateSpan:
    """Parse a register's date text; blank gives an empty span; raise DateTextError when it cannot be read."""
    return _parse(text.strip(), (today or date.today()).year)


@lru_cache(maxsize=8192)  # a register repeats the same few thousand date texts; parse each once
def _parse(original: str, last_year: int) -> DateSpan:
    if not original:
        return DateSpan("", None, None)
    cleaned = re.sub(r"\s+", "", original).replace("－", "-").replace("．", ".").replace("／", "/")
    uncertain = bool(_UNCERTAIN.search(cleaned))
    cleaned = _UNCERTAIN.sub("", cleaned).rstrip("?？")
    cleaned = _CHINESE_NUMBER.sub(_chinese_number, cleaned)
    try:
        earliest, latest = _range(cleaned)
    except ValueError:  # date() refuses month 13, day 31 in April, ...
        raise DateTextError(f"bad date {original!r}") from None
    if not EARLIEST_YEAR <= earliest.year <= last_year:
        raise DateTextError(f"bad date {original!r}: year outside {EARLIEST_YEAR}–{last_year}")
    return DateSpan(original, earliest, latest, uncertain)


def _range(cleaned: str) -> tuple[date, date]:
    numeric = _NUMERIC.match(cleaned)
    if numeric:
        year, month, day = (int(g) if g else None for g in numeric.groups())
        return _exact(year or 0, month, day)
    words = _CHINESE.match(cleaned)
    if not words:
        raise ValueError(cleaned)
    year = int(words["year"])
    if words["season"]:
        return _span(year, *_SEASONS[words["season"]])
    month = int(words["month"]) if words["month"] else None
    if words["ten"]:
        first_day, last_day = _TEN_DAYS[words["ten"]]
        return _span(year, month or 1, month or 1, first_day, last_day)
    return _exact(year, month, int(words["day"]) if words["day"] else None)


def _exact(year: int, month: int | None, day: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        return date(year, month, 1), _month_end(year, month)
    return date(year, month, day), date(year, month, day)
