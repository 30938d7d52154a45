"""Cache rendered public pages per process, keyed by the store's revision so any change is seen at once.

The key also holds the locale and a 30-second time bucket, because pages split events into upcoming and past by
the clock. Signed-in staff always get fresh pages.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

MAX_PAGES = 512
TIME_BUCKET_S = 30


class PageCache:
    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self.pages: OrderedDict[tuple[Any, ...], tuple[bytes, int, str]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, int, str] | None:
        found = self.pages.get(key)
        if found is not None:
            self.pages.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], value: tuple[bytes, int, str]) -> None:
        self.pages[key] = value
        self.pages.move_to_end(key)
        while len(self.pages) > self.size:
            self.pages.popitem(last=False)


def cached_page(view: Callable[..., Any] | None = None, *, bucket_s: int = TIME_BUCKET_S) -> Any:
    """Serve a GET view from the cache when nothing changed since it was rendered; answer 304 to a matching ETag.

    ``bucket_s`` is how long a page may lag the clock (not the data: any change is seen at once).
    """

    def decorate(inner: Callable[..., Any]) -> Callable[..., BaseResponse]:
        @wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> BaseResponse:
            if current_user.is_authenticated:
                return make_response(inner(*args, **kwargs))
            from streamkit.web.app import store

            cache: PageCache = current_app.extensions.setdefault("streamkit_page_cache", PageCache())
            locale, revision, bucket = str(get_locale()), store().revision(), int(time.time() // bucket_s)
            key = (request.full_path, locale, revision, bucket)
            hit = cache.get(key)
            if hit is not None:
                body, status, mimetype = hit
                response = Response(body, status=status, mimetype=mimetype)
            else:
                response = make_response(inner(*args, **kwargs))
                if response.status_code != 200 or response.direct_passthrough:
                    return response
                cache.put(key, (response.get_data(), response.status_code, response.mimetype or "text/html"))
            response.set_etag(f"{locale}-{revision}-{bucket}")
            response.headers["Vary"] = "Cookie"
            return response.make_conditional(request)

        return wrapper

    return decorate(view) if view is not None else decorate
