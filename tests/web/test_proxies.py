"""Which X-Forwarded-* headers the production site believes: only those of its configured proxies."""

from __future__ import annotations

import pytest
from flask import Flask, request

from streamkit.config.settings import WebSettings
from streamkit.errors import ConfigError
from streamkit.web.proxies import forwarded_allow_ips, trusted_proxies


def seen_from(web: WebSettings, remote: str, forwarded: str) -> str:
    """The client address the app sees for a request from ``remote`` that says ``X-Forwarded-For: forwarded``."""
    app = Flask("probe")
    app.get("/")(lambda: f"{request.remote_addr} {request.scheme}")
    app.wsgi_app = trusted_proxies(app.wsgi_app, web)  # type: ignore[method-assign]
    headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https, https"}
    return app.test_client().get("/", headers=headers, environ_base={"REMOTE_ADDR": remote}).get_data(as_text=True)


@pytest.mark.parametrize(
    ("hops", "addresses", "remote", "seen"),
    [
        (0, "127.0.0.1,::1", "192.0.2.7", "192.0.2.7 http"),  # the default: no proxy, no header believed
        (0, "127.0.0.1,::1", "127.0.0.1", "127.0.0.1 http"),
        (1, "127.0.0.1,::1", "127.0.0.1", "198.51.100.4 https"),  # from the proxy: its word is taken
        (1, "127.0.0.1,::1", "192.0.2.7", "192.0.2.7 http"),  # a client that reaches gunicorn directly
        (1, "10.0.0.0/8", "10.1.2.3", "198.51.100.4 https"),
        (2, "127.0.0.1", "127.0.0.1", "127.0.0.1 https"),  # two hops: the address the outer proxy saw
        # gunicorn on a unix socket (`web layout`) has no peer address: only the proxy can open the socket
        (1, "127.0.0.1,::1", "", "198.51.100.4 https"),
        (0, "127.0.0.1,::1", "", " http"),
    ],
)
def test_forwarded_headers_count_only_from_proxies(hops: int, addresses: str, remote: str, seen: str) -> None:
    web = WebSettings(proxy_hops=hops, proxy_addresses=addresses)
    assert seen_from(web, remote, "127.0.0.1, 198.51.100.4") == seen


def test_gunicorn_trusts_the_same_proxies_and_none_by_default() -> None:
    assert forwarded_allow_ips(WebSettings()) == ""
    assert forwarded_allow_ips(WebSettings(proxy_hops=1, proxy_addresses="10.0.0.5")) == "10.0.0.5"


def test_a_bad_proxy_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"web\.proxy_addresses"):
        trusted_proxies(None, WebSettings(proxy_hops=1, proxy_addresses="10.0.0.300"))
