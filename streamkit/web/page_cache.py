"""A cache of rendered public pages, in front of Flask, keyed by the store's revision: in each process, or in Redis
shared by every worker and machine when ``web.redis_url`` is set.

Views opt in with ``@cached_page``: their responses get an ETag and a private marker header saying how long the page
may lag the clock (pages split events into upcoming and past by time). The WSGI middleware stores such responses
and answers the next identical request (path, query, language cookie) without running Flask at all, as long as the
store's revision is unchanged, so any change is seen at once in every worker. Requests carrying a session cookie
(staff) and responses that set cookies are never cached.

In Redis the revision is part of each page's key and the page expires when its lag does, so a change makes every
stored page unreachable at once and nothing has to be deleted. A Redis that does not answer costs the cache, never a
page: the request is rendered as if nothing were stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, cast

from flask import make_response, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.http import parse_cookie
from werkzeug.wrappers import Response as BaseResponse

from streamkit.web.extensions import LANG_COOKIE, store

log = logging.getLogger(__name__)
MAX_PAGES = 2048  # about 10 kB each: some 20 MB per worker at most
DEFAULT_LAG_S = 30
MARKER = "X-Streamkit-Cache"
REVISION_KEY = "streamkit.revision"  # the revision the middleware read for this request, in its WSGI environ

StartResponse = Callable[..., Any]
PageKey = tuple[str, str, str, str, str]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_revision() -> int:
    """The store's revision for this request: read once by the middleware, else now."""
    found = request.environ.get(REVISION_KEY)
    return found if isinstance(found, int) else store().revision()


def cached_page(view: Callable[..., Any] | None = None, *, lag_s: int = DEFAULT_LAG_S) -> Any:
    """Mark a GET view's page as cacheable for ``lag_s`` seconds (or until the data changes); ETag and 304."""

    def decorate(inner: Callable[..., Any]) -> Callable[..., BaseResponse]:
        @wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> BaseResponse:
            response = make_response(inner(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough or current_user.is_authenticated:
                return response
            revision, bucket = request_revision(), int(time.time() // lag_s)
            response.set_etag(f"{get_locale()}-{revision}-{bucket}")
            response.headers["Vary"] = "Cookie"
            response.headers[MARKER] = str(lag_s)
            return response.make_conditional(request)

        return wrapper

    return decorate(view) if view is not None else decorate


@dataclass(frozen=True)
class CachedPage:
    revision: int
    expires: float
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None


class PageStore(Protocol):
    def get(self, key: PageKey, revision: int) -> CachedPage | None: ...

    def put(self, key: PageKey, page: CachedPage) -> None: ...


class LocalPages:
    """The last ``size`` pages in this process."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self.pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: PageKey, revision: int) -> CachedPage | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
        if page is not None and page.revision == revision and time.time() < page.expires:
            return page
        return None

    def put(self, key: PageKey, page: CachedPage) -> None:
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


class RedisPages:
    """Pages in Redis, shared by every process that names the same server; each expires with its lag."""

    PREFIX = "streamkit:page:"

    def __init__(self, url: str) -> None:
        import redis

        self.errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        # short timeouts: a stalled Redis must cost a page its cache, not hold the page
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.warned = False

    def _name(self, key: PageKey, revision: int) -> str:
        digest = hashlib.sha256("\0".join(key).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return f"{self.PREFIX}{revision}:{digest}"

    def get(self, key: PageKey, revision: int) -> CachedPage | None:
        try:
            stored = self.client.hgetall(self._name(key, revision))
        except self.errors as error:
            self._unavailable(error)
            return None
        if not stored:
            return None
        meta = json.loads(stored[b"meta"])
        headers = [(str(k), str(v)) for k, v in meta["headers"]]
        body = cast(bytes, stored[b"body"])  # a client without decode_responses answers bytes
        return CachedPage(revision, time.time() + 1, meta["status"], headers, body, meta["etag"])

    def put(self, key: PageKey, page: CachedPage) -> None:
        meta = json.dumps({"status": page.status, "headers": page.headers, "etag": page.etag})
        name = self._name(key, page.revision)
        try:
            with self.client.pipeline() as pipe:  # one round trip, applied together
                pipe.hset(name, mapping={"meta": meta, "body": page.body})
                pipe.expire(name, max(1, int(page.expires - time.time())))
                pipe.execute()
        except self.errors as error:
            self._unavailable(error)

    def _unavailable(self, error: Exception) -> None:
        if not self.warned:  # the error's class only: its text may carry the URL and its password
            log.warning("page cache: Redis does not answer (%s); pages are rendered uncached", type(error).__name__)
            self.warned = True


class PageCacheMiddleware:
    """Serve stored pages for anonymous GETs; store the pages views marked as cacheable."""

    def __init__(
        self,
        app: WsgiApp,
        revision: Callable[[], int],
        *,
        session_cookie: str,
        pages: PageStore | None = None,
        cache_control: str | None = None,
    ) -> None:
        self.app = app
        self.revision = revision
        self.session_cookie = session_cookie
        self.pages: PageStore = pages or LocalPages()
        self.cache_control = cache_control

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if environ.get("REQUEST_METHOD") != "GET" or self.session_cookie in cookies:
            return self._pass_through(environ, start_response)
        # Host and scheme are part of the key: pages hold absolute URLs (canonical, Open Graph, feeds), and a
        # forged Host header must not poison what other visitors get.
        key = (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            cookies.get(LANG_COOKIE, ""),
        )
        revision = self.revision()
        environ[REVISION_KEY] = revision
        page = self.pages.get(key, revision)
        if page is not None:
            if page.etag and page.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
                start_response("304 NOT MODIFIED", [(k, v) for k, v in page.headers if k.lower() == "etag"])
                return [b""]
            start_response(page.status, [*page.headers, ("X-Cache", "HIT")])
            return [page.body]
        return self._render(environ, start_response, key, revision)

    def _pass_through(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def strip_marker(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [(k, v) for k, v in headers if k != MARKER], exc_info)

        return self.app(environ, strip_marker)

    def _render(
        self, environ: dict[str, Any], start_response: StartResponse, key: PageKey, revision: int
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # the legacy write() callable; Flask never uses it

        result = self.app(environ, capture)
        status: str = captured["status"]
        headers: list[tuple[str, str]] = captured["headers"]
        marker = next((v for k, v in headers if k == MARKER), None)
        sent = [(k, v) for k, v in headers if k != MARKER]
        if marker is None:
            # not a cacheable page: stream it as it comes (media byte ranges, the overlay event stream never ends)
            start_response(status, sent)
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if marker is not None and status.startswith("200") and not any(k.lower() == "set-cookie" for k, _ in sent):
            # the same page for every anonymous visitor: a CDN may carry it too (never one that sets a cookie)
            if self.cache_control and not any(k.lower() == "cache-control" for k, _ in sent):
                sent.append(("Cache-Control", self.cache_control))
            etag = next((v for k, v in sent if k.lower() == "etag"), None)
            self.pages.put(key, CachedPage(revision, time.time() + int(marker), status, sent, body, etag))
        start_response(status, [*sent, ("X-Cache", "MISS")])
        return [body]
