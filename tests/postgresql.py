"""A private PostgreSQL server on a Unix socket, for the test fixtures and the benches that compare databases."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def postgresql_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@contextlib.contextmanager
def private_postgresql(*, durable: bool = False) -> Iterator[str]:
    """Start a private PostgreSQL on a Unix socket (no TCP port) in a fresh folder; yields the socket folder.

    Tests run it with durability off (a test database lives for one test); ``durable`` keeps PostgreSQL's
    defaults, as the benches measure them.
    """
    binaries = postgresql_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
    # Not under pytest's folder: that one is private to root, and the server may run as another user. Short: the
    # socket path has at most 107 bytes.
    base = Path(tempfile.mkdtemp(prefix="sk-pg-"))
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
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(base / "log"), "start"])
    try:
        yield str(base)
    finally:
        run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def postgresql_url(server: str, name: str) -> str:
    return f"postgresql+psycopg://streamkit@/{name}?host={server}"


def create_database(server: str, template: str | None = None) -> str:
    """A fresh database on the private server (a copy of ``template`` if given); its SQLAlchemy URL."""
    import psycopg

    name = f"t{uuid.uuid4().hex[:12]}"
    copy = f" TEMPLATE {template}" if template else ""
    with psycopg.connect(f"host={server} dbname=postgres user=streamkit", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}{copy}")
    return postgresql_url(server, name)
