"""A per-process cache of rendered public pages, in front of Flask, keyed by the store's revision.

Views opt in with ``@cached_page``: their responses get an ETag and a private marker header saying how long the page
may lag the clock (pages split events into upcoming and past by time). The WSGI middleware stores such responses
and answers the next identical request (path, query, language cookie) without running Flask at all, as long as the
store's revision is unchanged, so any change is seen at once in every worker. Requests carrying a session cookie
(staff) and responses that set cookies are never cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import make_response, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.http import parse_cookie
from werkzeug.wrappers import Response as BaseResponse

from streamkit.web.extensions import LANG_COOKIE, store

MAX_PAGES = 2048  # about 10 kB each: some 20 MB per worker at most
DEFAULT_LAG_S = 30
MARKER = "X-Streamkit-Cache"

StartResponse = Callable[..., Any]
PageKey = tuple[str, str, str, str, str]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def cached_page(view: Callable[..., Any] | None = None, *, lag_s: int = DEFAULT_LAG_S) -> Any:
    """Mark a GET view's page as cacheable for ``lag_s`` seconds (or until the data changes); ETag and 304."""

    def decorate(inner: Callable[..., Any]) -> Callable[..., BaseResponse]:
        @wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> BaseResponse:
            response = make_response(inner(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough or current_user.is_authenticated:
                return response
            revision, bucket = store().revision(), int(time.time() // lag_s)
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


class PageCacheMiddleware:
    """Serve stored pages for anonymous GETs; store the pages views marked as cacheable."""

    def __init__(
        self, app: WsgiApp, revision: Callable[[], int], *, session_cookie: str, size: int = MAX_PAGES
    ) -> None:
        self.app = app
        self.revision = revision
        self.session_cookie = session_cookie
        self.size = size
        self.pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self.lock = threading.Lock()

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
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
        if page is not None and page.revision == revision and time.time() < page.expires:
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
            etag = next((v for k, v in sent if k.lower() == "etag"), None)
            page = CachedPage(revision, time.time() + int(marker), status, sent, body, etag)
            with self.lock:
                self.pages[key] = page
                while len(self.pages) > self.size:
                    self.pages.popitem(last=False)
        start_response(status, [*sent, ("X-Cache", "MISS")])
        return [body]
