"""Whose ``X-Forwarded-*`` headers the production site believes: only its own reverse proxies', as configured.

Any client can send ``X-Forwarded-For: 127.0.0.1``. Believed, it would pass the loopback check of the overlay
event endpoint, and a new value per request would give it a fresh login rate-limit bucket each time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

from streamkit.config.settings import WebSettings
from streamkit.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class TrustedProxies:
    """WSGI middleware: ProxyFix for ``hops`` proxies, applied only to requests that come from one of them."""

    def __init__(self, app: WSGIApplication, hops: int, addresses: Iterable[str]) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.hops = hops
        self.networks = [ipaddress.ip_network(address.strip()) for address in addresses if address.strip()]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.hops and self._from_proxy(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)

    def _from_proxy(self, remote: str) -> bool:
        if remote == "":
            # gunicorn on a unix socket (`web serve --prod --socket`): only processes the socket's mode lets in,
            # the proxy, can connect, and there is no address to check
            return True
        try:
            peer = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(peer in network for network in self.networks)


def trusted_proxies(app: Any, web: WebSettings) -> TrustedProxies:
    """Wrap ``app`` per the ``web.proxy_hops`` and ``web.proxy_addresses`` settings."""
    try:
        return TrustedProxies(app, web.proxy_hops, forwarded_allow_ips(web).split(","))
    except ValueError as exc:
        raise ConfigError.single("settings", str(exc), field="web.proxy_addresses") from None


def forwarded_allow_ips(web: WebSettings) -> str:
    """The same trust for gunicorn's own handling of the forwarded scheme: none without proxies."""
    return web.proxy_addresses if web.proxy_hops else ""
