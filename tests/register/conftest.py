"""Fixtures for the register: a fresh store per test and small generated register files with the hard cases."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from streamkit.archive.store import ArchiveStore

HEADER = (
    "编号",
    "姓名",
    "性别",
    "籍贯",
    "出生年月",
    "牺牲时间",
    "部队及职务",
    "牺牲地点",
    "安葬地/墓位",
    "生平事迹",
    "家属联系方式",
)
PRIVATE_PHONE = "13800001234"
# Two 王志国 in one cemetery, rare characters outside the BMP (𠮷) and in extension A (䶮), a traditional name,
# partial and uncertain dates, a multi-line biography.
HARD_ROWS: tuple[tuple[str, ...], ...] = (
    (
        "",
        "王志国",
        "男",
        "山东济南",
        "1920年春",
        "1947.3.5",
        "华东野战军 连长",
        "孟良崮",
        "南山烈士陵园A区3排12号",
        "作战英勇，\n多次立功",
        PRIVATE_PHONE,
    ),
    ("", "王志国", "男", "山东泰安", "1922", "1947年?", "华东野战军 战士", "孟良崮", "南山烈士陵园A区3排13号", "", ""),
    ("", "𠮷䶮", "女", "广东", "1938年冬", "1949年3月下旬", "", "", "南山烈士陵园 B-01-01", "", ""),
    ("", "陳國樑", "男", "臺灣", "一九二五年", "1950年10月", "志願軍 排長", "朝鮮", "南山烈士陵园B区1排2号", "", ""),
    ("", "李明", "", "四川", "", "1938年", "八路军", "", "北山陵园", "", ""),
)


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[ArchiveStore]:
    """A fresh store on SQLite and on PostgreSQL (tests/conftest.py)."""
    found = ArchiveStore(database_url, tmp_path / "media")
    yield found
    found.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[ArchiveStore]:
    """A fresh store on SQLite only, for what only SQLite has (its FTS5 index and query plans)."""
    found = ArchiveStore(f"sqlite:///{tmp_path / 'register.db'}", tmp_path / "media")
    yield found
    found.dispose()


@pytest.fixture
def hard_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "英名录.csv", HARD_ROWS)
