"""Benchmark finding one family's records by number: every sealed request and claim opened and matched.

Fills a fresh SQLite database with N proxy sweeping requests and N relatives' claims, each sealed under a new key
with a different number and realistic field lengths, then times ``find_family`` for one number (best of 3). The
search has no index (the data is sealed), so the time grows with the number of sealed records.

    .venv/bin/python bench/family_search.py [--records 5000]

Target: under 1 s for 10,000 sealed records (5,000 of each) on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from pydantic import SecretStr

from streamkit.archive.store import ArchiveStore
from streamkit.participation.family_data import family_query, find_family
from streamkit.participation.family_models import ProxySweep, RelativeClaim
from streamkit.participation.sealed import Sealer, new_key
from streamkit.register.models import Martyr


def fill(store: ArchiveStore, sealer: Sealer, count: int) -> None:
    with store.transaction() as session:
        martyr = Martyr(key="bench", name="王志国", cemetery="南山烈士陵园")
        session.add(martyr)
        session.flush()
        for i in range(count):
            phone = f"139{i:08d}"
            wishes = "请替我们献上一束白菊。" * 5
            personal = {"name": "欧阳澈蓁", "relation": "孙女", "phone": phone, "wishes": wishes}
            session.add(ProxySweep(martyr_id=martyr.id, preferred_date=date(2026, 4, 4), sealed=sealer.seal(personal)))
            claim = {"name": "司马黛琳", "contact": phone, "knowledge": "老家在吉安，有一封家书。" * 20, "notes": ""}
            session.add(RelativeClaim(martyr_id=martyr.id, sealed=sealer.seal(claim)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000, help="requests, and as many claims")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sk-family-search-"))
    store = ArchiveStore(f"sqlite:///{folder / 'bench.db'}", folder / "media")
    sealer = Sealer([SecretStr(new_key())])
    fill(store, sealer, args.records)
    query = family_query(f"+86 139 {args.records // 2:08d}")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        found = find_family(store, sealer, query)
        times.append(time.perf_counter() - start)
    store.dispose()
    total = 2 * args.records
    best = min(times)
    each = best / total * 1e6
    print(f"{total} sealed records: {best * 1000:.0f} ms ({each:.0f} µs a record); found {found.summary()}")


if __name__ == "__main__":
    main()
