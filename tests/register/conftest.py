"""Fixtures for the register: a fresh store per test and small generated register files with the hard cases."""

from __future__ import annotations

import contextlib
import csv
import functools
import os
import shutil
import subprocess
import tempfile
import uuid
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
def store(tmp_path: Path) -> Iterator[ArchiveStore]:
    found = ArchiveStore(f"sqlite:///{tmp_path / 'register.db'}", tmp_path / "media")
    yield found
    found.dispose()


@pytest.fixture
def hard_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "英名录.csv", HARD_ROWS)


def _postgresql_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@contextlib.contextmanager
def private_postgresql(*, durable: bool = False) -> Iterator[str]:
    """Start a private PostgreSQL on a Unix socket (no TCP port) in a fresh folder; yields the socket folder.

    Tests run it with ``fsync`` and ``synchronous_commit`` off (nothing of theirs must survive a power cut);
    ``durable`` keeps PostgreSQL's defaults, as the benches measure them.
    """
    binaries = _postgresql_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
    # Not under pytest's folder: that one is private to root, and the server may run as another user.
    base = Path(tempfile.mkdtemp(prefix="streamkit-pg-"))
    # PostgreSQL refuses to run as root; the Debian package's postgres account runs it then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(base, "postgres")
    data = base / "data"
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=120)
    run([*as_user, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "streamkit", "-E", "UTF8",
         "--locale", "C.UTF-8"])  # fmt: skip
    options = f"-k {base} -c listen_addresses=''"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off"
    run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(base / "log"), "start"])
    try:
        yield str(base)
    finally:
        run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def create_database(socket_folder: str) -> str:
    """A fresh, empty database on the private server; its SQLAlchemy URL."""
    import psycopg

    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host={socket_folder} dbname=postgres user=streamkit", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://streamkit@/{name}?host={socket_folder}"


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[str]:
    """A private PostgreSQL for this test session; yields its socket folder."""
    if _postgresql_bin() is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql)")
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    with private_postgresql() as folder:
        yield folder


@pytest.fixture
def postgresql_store(postgresql_server: str, tmp_path: Path) -> Iterator[ArchiveStore]:
    """An archive store in a fresh database of the session's PostgreSQL."""
    found = ArchiveStore(create_database(postgresql_server), tmp_path / "media")
    yield found
    found.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> ArchiveStore:
    """The store on SQLite (FTS5) and on PostgreSQL (trigram indexes): the same behaviour is asserted on both."""
    fixture = "store" if request.param == "sqlite" else "postgresql_store"
    found: ArchiveStore = request.getfixturevalue(fixture)
    return found
