"""Tributes through the site's WSGI app in one process under gevent, without HTTP: CPU per tribute by concurrency.

What the server costs per tribute once gunicorn, sockets and wrk are taken away: the fast path, the writer and
SQLite. Concurrent greenlets share batches (group commit), so the cost falls as concurrency rises; compare with
the server CPU per tribute ``bench/tributes.py`` prints to see what the HTTP layer adds.

    .venv/bin/python bench/tributes_app.py [--tributes 4000] [--concurrency 1,8,32]
"""

from gevent import monkey

monkey.patch_all()  # before anything imports threading or socket, as gunicorn's gevent worker does

import argparse  # noqa: E402
import io  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' register rows and settings

from streamkit.register.importer import import_register  # noqa: E402
from streamkit.web.app import create_app  # noqa: E402
from streamkit.web.extensions import STORE_KEY  # noqa: E402
from tests.participation.conftest import register_file  # noqa: E402
from tests.web.conftest import SECRET, web_settings  # noqa: E402


def offer_many(tribute: Any, count: int) -> None:
    for _ in range(count):
        tribute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tributes", type=int, default=4000)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-") as folder:
        limits = {"tribute_rate_limit": "100000000 per minute", "tribute_daily_cap": 100000000}
        app = create_app(web_settings(Path(folder), **limits), secret_key=SECRET)
        import_register(app.extensions[STORE_KEY], register_file(Path(folder)))
        sent = [0]

        def tribute() -> None:
            sent[0] += 1
            body = f"kind=flower&key=k{sent[0]:020d}".encode()
            environ: dict[str, Any] = {
                "REQUEST_METHOD": "POST", "PATH_INFO": f"/martyrs/{1 + sent[0] % 4}/tributes",
                "HTTP_ACCEPT": "application/json", "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "HTTP_ORIGIN": "http://site",
                "HTTP_HOST": "site", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
                "SERVER_NAME": "site", "SERVER_PORT": "80",
            }  # fmt: skip
            status: list[str] = []
            b"".join(app(environ, lambda s, h, e=None: status.append(s)))
            if not status[0].startswith("200"):
                raise SystemExit(f"a tribute was answered {status[0]}")

        for _ in range(100):  # warm up: statements compiled, connections open
            tribute()
        for concurrency in (int(n) for n in args.concurrency.split(",")):
            each = max(1, args.tributes // concurrency)
            before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            gevent.joinall([gevent.spawn(offer_many, tribute, each) for _ in range(concurrency)])
            after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - start
            n = each * concurrency
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            print(
                f"concurrency {concurrency:3d}: CPU per tribute {cpu / n * 1e6:5.0f} us   {n / wall:7,.0f} tributes/s"
            )


if __name__ == "__main__":
    main()
