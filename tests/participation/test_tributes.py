"""Offering tributes in the store: once per key, capped per client and day, counted per martyr, cemetery and day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.participation.models import Tribute, TributeKind
from streamkit.participation.tributes import (
    Outcome,
    TributeRequest,
    cemetery_counts,
    client_key,
    daily_counts,
    martyr_counts,
    offer_tribute,
    tribute_day,
)
from streamkit.register.importer import import_register
from tests.conftest import ROOT
from tests.participation.conftest import register_file

DAY = date(2026, 4, 4)


def tribute(key: str, martyr_id: int = 1, kind: TributeKind = TributeKind.FLOWER, **fields: object) -> TributeRequest:
    values: dict[str, object] = {"client": "c1", "day": DAY, **fields}
    return TributeRequest(key=key.ljust(16, "0"), martyr_id=martyr_id, kind=kind, **values)  # type: ignore[arg-type]


def rows(store: ArchiveStore) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(Tribute.id))) or 0


def test_a_retried_key_counts_once(store: ArchiveStore) -> None:
    assert offer_tribute(store, tribute("k1"), daily_cap=10) is Outcome.COUNTED
    assert offer_tribute(store, tribute("k1"), daily_cap=10) is Outcome.REPEATED
    assert offer_tribute(store, tribute("k1", kind=TributeKind.BOW), daily_cap=10) is Outcome.REPEATED
    assert rows(store) == 1
    assert martyr_counts(store, 1) == {TributeKind.FLOWER: 1, TributeKind.CANDLE: 0, TributeKind.BOW: 0}


def test_the_cap_is_per_client_martyr_and_day_and_a_capped_tribute_leaves_nothing(store: ArchiveStore) -> None:
    outcomes = [offer_tribute(store, tribute(f"a{i}"), daily_cap=2) for i in range(3)]
    assert outcomes == [Outcome.COUNTED, Outcome.COUNTED, Outcome.CAPPED]
    # another martyr, another client, another day: each has its own allowance
    assert offer_tribute(store, tribute("b1", martyr_id=2), daily_cap=2) is Outcome.COUNTED
    assert offer_tribute(store, tribute("b2", client="c2"), daily_cap=2) is Outcome.COUNTED
    assert offer_tribute(store, tribute("b3", day=date(2026, 4, 5)), daily_cap=2) is Outcome.COUNTED
    assert rows(store) == 5
    assert martyr_counts(store, 1)[TributeKind.FLOWER] == 4
    # the capped key was not stored: sent again under a higher cap, it counts
    assert offer_tribute(store, tribute("a2"), daily_cap=5) is Outcome.COUNTED


def test_hidden_or_missing_martyrs_take_no_tributes(store: ArchiveStore) -> None:
    assert offer_tribute(store, tribute("h1", martyr_id=5), daily_cap=10) is Outcome.NOT_FOUND  # 李明 is hidden
    assert offer_tribute(store, tribute("h2", martyr_id=999), daily_cap=10) is Outcome.NOT_FOUND
    assert rows(store) == 0


def test_counts_per_martyr_cemetery_and_day(store: ArchiveStore) -> None:
    kinds = [TributeKind.FLOWER, TributeKind.CANDLE, TributeKind.CANDLE, TributeKind.BOW]
    for i, kind in enumerate(kinds):
        assert (
            offer_tribute(store, tribute(f"m{i}", martyr_id=1 + i % 2, kind=kind, client=f"c{i}"), daily_cap=1)
            is Outcome.COUNTED
        )
    assert offer_tribute(store, tribute("n1", martyr_id=3, day=date(2026, 4, 5)), daily_cap=1) is Outcome.COUNTED
    assert martyr_counts(store, 1) == {TributeKind.FLOWER: 1, TributeKind.CANDLE: 1, TributeKind.BOW: 0}
    assert martyr_counts(store, 2) == {TributeKind.FLOWER: 0, TributeKind.CANDLE: 1, TributeKind.BOW: 1}
    assert cemetery_counts(store) == {"南山烈士陵园": 5}
    assert cemetery_counts(store, date(2026, 4, 5)) == {"南山烈士陵园": 1}
    assert daily_counts(store) == {DAY: 4, date(2026, 4, 5): 1}
    assert daily_counts(store, "北山陵园") == {}


def test_the_day_is_the_cemeteries_day_and_the_client_hash_changes_with_it() -> None:
    assert tribute_day(datetime(2026, 4, 3, 16, 30, tzinfo=UTC)) == date(2026, 4, 4)  # 00:30 in Beijing
    assert tribute_day(datetime(2026, 4, 3, 15, 30)) == date(2026, 4, 3)  # naive UTC
    first, second = client_key("s", "192.0.2.7", DAY), client_key("s", "192.0.2.7", date(2026, 4, 5))
    assert first != second and "192.0.2.7" not in first and len(first) == 32
    assert first == client_key("s", "192.0.2.7", DAY) != client_key("other", "192.0.2.7", DAY)


def test_postgresql_counts_once_caps_and_skips_hidden_martyrs(postgresql_store: ArchiveStore, tmp_path: Path) -> None:
    import_register(postgresql_store, register_file(tmp_path))
    outcomes = [offer_tribute(postgresql_store, tribute(key), daily_cap=2) for key in ("p1", "p1", "p2", "p3")]
    assert outcomes == [Outcome.COUNTED, Outcome.REPEATED, Outcome.COUNTED, Outcome.CAPPED]
    assert offer_tribute(postgresql_store, tribute("p4", martyr_id=5), daily_cap=2) is Outcome.NOT_FOUND
    assert rows(postgresql_store) == 2 and martyr_counts(postgresql_store, 1)[TributeKind.FLOWER] == 2
    assert cemetery_counts(postgresql_store) == {"南山烈士陵园": 2} and daily_counts(postgresql_store) == {DAY: 2}


# A gevent worker in miniature: the store's writer offers a tribute while another process holds SQLite's write
# lock for a second, and a ticker greenlet counts how often the hub ran meanwhile. Prints "<outcome> <ticks>".
HELD_LOCK_SCRIPT = """
from gevent import monkey
monkey.patch_all()
import sqlite3, subprocess, sys, time
from datetime import date
import gevent
from streamkit.archive.store import ArchiveStore
from streamkit.participation.models import TributeKind
from streamkit.participation.tributes import TributeRequest, offer_tribute

path = sys.argv[1]
store = ArchiveStore("sqlite:///" + path, migrate=False)
holder = subprocess.Popen([sys.executable, "-c", (
    "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
    "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(1); c.execute('COMMIT')"
), path], stdout=subprocess.PIPE, text=True)
assert holder.stdout.readline().strip() == "held"
ticks = 0
def tick():
    global ticks
    while True:
        ticks += 1
        gevent.sleep(0.005)
ticker = gevent.spawn(tick)
gevent.sleep(0)
request = TributeRequest(key="held".ljust(16, "0"), martyr_id=1, kind=TributeKind.FLOWER, client="c1",
                         day=date(2026, 4, 4))
outcome = offer_tribute(store, request, daily_cap=10)
ticker.kill()
holder.wait()
print(outcome.value, ticks)
"""


def test_a_worker_waiting_for_another_writers_lock_keeps_serving(tmp_path: Path) -> None:
    """SQLite's own busy wait sleeps in C and would stop a gevent worker's every request; the writer's yields."""
    database = tmp_path / "site.db"
    store = ArchiveStore(f"sqlite:///{database}", tmp_path / "media")
    import_register(store, register_file(tmp_path))
    script = tmp_path / "held_lock.py"
    script.write_text(HELD_LOCK_SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(database)], capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcome, ticks = done.stdout.split()
    assert outcome == Outcome.COUNTED.value  # it waited for the lock (a busy timeout of 0 alone would refuse it)
    assert int(ticks) >= 20  # about 200 in the second the lock was held; none if the wait had blocked the hub
    assert rows(store) == 1
