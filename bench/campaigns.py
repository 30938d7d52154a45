"""Benchmark a campaign's counting and its report package on a city-sized database.

Fills a fresh SQLite database with the Qingming campaign's districts: 1,000 martyrs with tombs and a good photo
each, TRIBUTES flowers and 5,000 approved messages spread over the window, 300 archive entries; then times
``campaign_figures`` (what the dashboard does per request) and ``write_report`` (the .docx and the .xlsx whose
second sheet lists every counted row).

    .venv/bin/python bench/campaigns.py [--tributes 100000]

Target: the dashboard's count under 1 s at 100,000 tributes; the report under 30 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from streamkit.archive.models import ArchiveEntry
from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.counting import campaign_figures
from streamkit.campaigns.fonts import choose_fonts
from streamkit.campaigns.report import write_report
from streamkit.campaigns.spec import load_campaign
from streamkit.participation.models import Message, Tribute
from streamkit.register.models import Martyr, TombPhoto

ROOT = Path(__file__).resolve().parent.parent
CEMETERIES = ["南山烈士陵园", "南山陵园", "北山陵园", "永川烈士陵园"]


def fill(store: ArchiveStore, tributes: int) -> None:
    start = datetime(2020, 2, 10, 2)
    with store.engine.begin() as connection:
        connection.execute(
            insert(Martyr),
            [
                {"key": f"k{i}", "name": f"烈士{i}", "cemetery": CEMETERIES[i % 4], "tomb_key": f"t{i}"}
                for i in range(1000)
            ],
        )
        connection.execute(
            insert(TombPhoto),
            [{"path": f"/p/{i}.jpg", "martyr_id": i + 1, "match": "matched", "checked_at": start} for i in range(1000)],
        )
        connection.execute(
            insert(Tribute),
            [
                {"key": f"x{i}", "martyr_id": i % 1000 + 1, "kind": "flower", "cemetery": CEMETERIES[i % 1000 % 4],
                 "day": date(2020, 2, 10) + timedelta(days=i % 60), "client": "c"}
                for i in range(tributes)
            ],
        )  # fmt: skip
        connection.execute(
            insert(Message),
            [
                {"martyr_id": i % 1000 + 1, "body": "英烈千古", "status": "approved", "verdict": "pass",
                 "decided_at": start + timedelta(hours=i % 1400)}
                for i in range(5000)
            ],
        )  # fmt: skip
        connection.execute(
            insert(ArchiveEntry),
            [
                {"kind": "tour" if i % 3 else "recording", "title": f"导览{i}", "venue": CEMETERIES[i % 4],
                 "media_url": "https://v.example/a.mp4", "published_at": start + timedelta(hours=i * 4),
                 "media_sha256": None}
                for i in range(300)
            ],
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tributes", type=int, default=100_000)
    args = parser.parse_args()
    campaign = load_campaign(ROOT / "config" / "campaigns" / "qingming-2020.yaml")
    with tempfile.TemporaryDirectory() as folder:
        store = ArchiveStore(f"sqlite:///{folder}/bench.db", Path(folder) / "media")
        began = time.perf_counter()
        fill(store, args.tributes)
        print(f"filled {args.tributes} tributes in {time.perf_counter() - began:.1f} s")
        today = date(2020, 4, 11)
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            figures = campaign_figures(store, campaign, today)
            timings.append(time.perf_counter() - began)
        print(f"campaign_figures: {min(timings):.2f} s (best of 3), {len(figures.rows())} rows traced")
        began = time.perf_counter()
        files = write_report(
            store, campaign, today=today, out_dir=Path(folder) / "out",
            template=ROOT / "config" / "campaigns" / "templates" / "report.txt.j2", fonts=choose_fonts(set()),
        )  # fmt: skip
        print(
            f"write_report: {time.perf_counter() - began:.1f} s, docx {files.docx.stat().st_size} B, "
            f"xlsx {files.xlsx.stat().st_size} B"
        )
        store.dispose()


if __name__ == "__main__":
    main()
