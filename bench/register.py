"""Benchmark the register: import a generated register, re-import it, and search it by name, pinyin and initials.

Generates a register CSV (realistic names with rare characters such as 𠮷 and 䶮, traditional characters, partial
and uncertain dates, two martyrs of one name in one cemetery), then, against a fresh SQLite database:

- reading the file with the csv module alone: the baseline the import rate is compared with, in the same run;
- the import (records/s) and the re-import of the same file, which must change nothing;
- peak memory after importing a quarter of the file and after the whole file (flat when the two agree);
- search p50/p99 for names in characters, full pinyin and initials, beside a primary-key lookup as baseline;
- with ``--web-seconds N``: the public ``/martyrs?q=`` page under gunicorn (2 workers) with wrk, one query again and
  again (the page cache answers) and a different query per request (each rendered), beside a static file.

    .venv/bin/python bench/register.py [--records 200000] [--queries 300] [--seed 7] [--web-seconds 5]

Targets: 200,000 records imported in at most 30 s on 2 cores, re-import no slower; name and pinyin search p99
at most 20 ms; ``/martyrs?q=`` at least 500 requests/s.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from pypinyin import lazy_pinyin
from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.register.importer import import_register
from streamkit.register.models import Martyr
from streamkit.register.search import RegisterQuery, search

T = TypeVar("T")
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
    "锺汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文单"
)
GIVEN = "志国建华明德永福文金玉秀英兰桂芳成海生春山林清荣宝长连全树贵良忠义勇军兵战胜利强民庆云学光东先进"
RARE = "𠮷䶮𡈼𨭉堃昇彧"
TRADITIONAL = {"国": "國", "华": "華", "长": "長", "胜": "勝", "军": "軍", "东": "東", "庆": "慶"}
PLACES = [
    "山东济南",
    "山东临沂",
    "河北保定",
    "河南信阳",
    "江苏盐城",
    "安徽六安",
    "湖北黄冈",
    "四川巴中",
    "陕西延安",
    "福建龙岩",
]
UNITS = ["华东野战军", "八路军一二九师", "新四军第三师", "中国人民志愿军", "东北民主联军", "晋察冀军区"]
POSTS = ["战士", "班长", "排长", "连长", "指导员", "卫生员", "通讯员", "营长"]
CEMETERIES = ["南山烈士陵园", "北山革命公墓", "英雄山烈士陵园"]
HEADER = ["姓名", "性别", "籍贯", "出生年月", "牺牲时间", "部队及职务", "牺牲地点", "安葬地/墓位", "生平事迹"]


def fuzzy_date(rng: random.Random, year: int) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    forms = [
        f"{year}",
        f"{year}年",
        f"{year}年{month}月",
        f"{year}.{month}.{day}",
        f"{year}年春",
        f"{year}年?",
        f"{year}-{month:02d}-{day:02d}",
        f"约{year}年",
        f"{year}年{month}月下旬",
        "",
    ]
    return rng.choice(forms)


def name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
    if rng.random() < 0.01:
        given = given[:-1] + rng.choice(RARE)
    text = rng.choice(SURNAMES) + given
    if rng.random() < 0.05:
        text = "".join(TRADITIONAL.get(c, c) for c in text)
    return text


def rows(count: int, seed: int) -> Iterator[list[str]]:
    rng = random.Random(seed)
    per_row = 40
    for n in range(count):
        cemetery = CEMETERIES[n % len(CEMETERIES)]
        slot = n // len(CEMETERIES)
        section = chr(ord("A") + slot // (per_row * 200) % 26) + str(slot // (per_row * 200 * 26) or "")
        tomb = f"{cemetery}{section}区{slot // per_row % 200 + 1}排{slot % per_row + 1}号"
        died = rng.randint(1927, 1953)
        yield [
            name(rng),
            rng.choice("男男男男女"),
            rng.choice(PLACES),
            fuzzy_date(rng, died - rng.randint(17, 40)),
            fuzzy_date(rng, died),
            f"{rng.choice(UNITS)} {rng.choice(POSTS)}",
            rng.choice(PLACES),
            tomb,
            "在战斗中英勇牺牲。" * rng.randint(0, 4),
        ]


def write_register(path: Path, count: int, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(count, seed))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def search_times(store: ArchiveStore, count: int, rng: random.Random) -> list[str]:
    """Search p50/p99 by characters, full pinyin and initials of stored names, and a key lookup as baseline; returns
    the queries."""
    with store.session() as session:
        sample = list(session.scalars(select(Martyr.name).order_by(Martyr.id).limit(count * 10)))
        ids = list(session.scalars(select(Martyr.id).limit(count)))
    names = rng.sample(sample, min(count, len(sample)))
    kinds = {
        "characters": names,
        "full pinyin": ["".join(lazy_pinyin(n)) for n in names],
        "initials": ["".join(s[0] for s in lazy_pinyin(n) if s) for n in names],
    }

    def lookup(martyr_id: int) -> Martyr | None:
        with store.session() as session:
            return session.get(Martyr, martyr_id)

    base_p50, base_p99 = percentiles([timed(lambda i=i: lookup(i))[0] for i in ids])
    print(f"baseline primary-key lookup: p50 {base_p50:.2f} ms, p99 {base_p99:.2f} ms")
    for kind, queries in kinds.items():
        runs = [timed(lambda q=q: search(store, RegisterQuery(text=q))) for q in queries]
        p50, p99 = percentiles([seconds for seconds, _ in runs])
        hits = sum(len(found) for _, found in runs) / len(runs)
        print(
            f"search by {kind}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({p99 / base_p99:.1f}x the lookup's p99), "
            f"{hits:.1f} hits per query (at most 20)"
        )
    return [q for queries in kinds.values() for q in queries]


def web_search(db_url: str, folder: Path, queries: list[str], seconds: int, connections: int) -> None:
    """wrk against ``/martyrs?q=`` under ``streamkit web serve --prod`` (2 workers) over the imported register."""
    import os
    import urllib.parse

    from site_server import free_port, start_site, stop_site

    from web import run_wrk, wait_up  # bench/web.py: the same wrk parsing

    port = free_port()
    server = start_site(port, db_url, folder / "media")
    base = f"http://127.0.0.1:{port}"
    paths = ["/martyrs?q=" + urllib.parse.quote(q) for q in queries]
    script = folder / "queries.lua"
    listed = ",".join(f'"{p}"' for p in paths)
    script.write_text(
        f"paths = {{{listed}}}\ncounter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n"
    )
    try:
        wait_up(f"{base}/martyrs")
        routes: list[tuple[str, str, Path | None]] = [
            ("static file (baseline)", "/static/css/site.css", None),
            ("/martyrs?q=<one name> (cached)", paths[0], None),
            (f"/martyrs?q=<{len(paths)} names, pinyin, initials>", "/martyrs", script),
        ]
        print(f"gunicorn 2 workers, wrk -t2 -c{connections} -d{seconds}s, {os.cpu_count()} cores")
        baseline = 0.0
        for label, path, lua in routes:
            run_wrk(base + path, 1, 4, lua)  # warm the workers
            rps, p99, bad = run_wrk(base + path, seconds, connections, lua)
            baseline = baseline or rps
            print(f"  {label:<44}{rps:>8.0f} req/s  p99 {p99:>7.1f} ms  {rps / baseline:.2f}x static  non-2xx {bad}")
    finally:
        stop_site(server)
    page_cpu(db_url, folder, paths)


def page_cpu(db_url: str, folder: Path, paths: list[str]) -> None:
    """CPU milliseconds per uncached ``/martyrs?q=`` in this process (test client), which other load on the machine
    hardly changes: 2 cores / this = the most two idle workers could serve."""
    from streamkit.config.settings import Settings, WebSettings
    from streamkit.web.app import create_app

    settings = Settings(web=WebSettings(database_url=db_url, media_dir=folder / "media", secure_cookies=False))
    client = create_app(settings, secret_key="bench-secret-key-0123456789abcdef").test_client()
    client.get("/martyrs").close()
    started = time.process_time()
    for path in paths:
        client.get(path).close()  # each query once: every page is rendered, none comes from the page cache
    ms = (time.process_time() - started) / len(paths) * 1000
    print(f"  CPU per uncached /martyrs?q= in-process: {ms:.2f} ms -> at most {2000 / ms:.0f} req/s on 2 idle cores")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--web-seconds", type=int, default=0, help="also load /martyrs?q= with wrk for N s")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-register-") as tmp:
        folder = Path(tmp)
        quarter, full = folder / "quarter.csv", folder / "register.csv"
        write_register(quarter, args.records // 4, args.seed)
        write_register(full, args.records, args.seed)
        print(f"register: {args.records} records, {full.stat().st_size / 1e6:.1f} MB CSV")

        read_s, _ = timed(lambda: sum(1 for _ in csv.reader(full.open(encoding="utf-8", newline=""))))
        print(f"baseline csv read: {args.records / read_s:,.0f} rows/s")

        small = ArchiveStore(f"sqlite:///{folder / 'quarter.db'}", folder / "media")
        rss_before = peak_rss_mb()
        import_register(small, quarter)
        rss_quarter = peak_rss_mb()
        small.dispose()

        store = ArchiveStore(f"sqlite:///{folder / 'register.db'}", folder / "media")
        import_s, first = timed(lambda: import_register(store, full))
        rss_full = peak_rss_mb()
        reimport_s, again = timed(lambda: import_register(store, full))
        rate = args.records / import_s
        print(
            f"import: {import_s:.2f} s, {rate:,.0f} records/s "
            f"({rate / (args.records / read_s):.3f} of the csv read rate); {first.summary()}"
        )
        print(f"re-import: {reimport_s:.2f} s ({reimport_s / import_s:.2f}x the import); {again.summary()}")
        if again.added or again.changed:
            print("FAIL: the re-import changed records", file=sys.stderr)
            return 1
        growth = (rss_full - rss_before) / max(1.0, rss_quarter - rss_before)
        print(
            f"peak RSS: {rss_before:.0f} MB before, {rss_quarter:.0f} MB after a quarter of the records, "
            f"{rss_full:.0f} MB after all of them ({growth:.2f}x the quarter's growth)"
        )
        queries = search_times(store, args.queries, random.Random(args.seed + 1))
        store.dispose()
        if args.web_seconds:
            web_search(f"sqlite:///{folder / 'register.db'}", folder, queries, args.web_seconds, args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
