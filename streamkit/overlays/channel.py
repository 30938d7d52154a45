"""Which channel joins the processes that serve overlay pages, from the ``overlays.channel`` setting."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from streamkit.errors import ConfigError
from streamkit.overlays.bus import OverlayChannel
from streamkit.overlays.hub import HubChannel

SCHEMES = ("redis", "rediss", "unix", "hub")


def open_channel(url: str | None) -> OverlayChannel | None:
    """Redis for ``redis://``, ``rediss://`` and ``unix://`` (its socket); the embedded hub for ``hub:///path``.

    None: no channel, the pages of this process alone (the development server, ``overlay serve``).
    """
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        # only here: redis (and the ssl it imports) stays out of processes that never use it, such as the
        # gunicorn arbiter, which loads the site's modules before its workers patch them for gevent
        from streamkit.overlays.redis_channel import RedisChannel

        return RedisChannel(url)
    if (socket_path := hub_socket(url)) is not None:
        return HubChannel(socket_path)
    # the URL may carry a Redis password: name only its scheme
    raise ConfigError.single(
        "settings", f"scheme {parts.scheme!r} is not one of {', '.join(SCHEMES)}", field="overlays.channel"
    )


def hub_socket(url: str | None) -> Path | None:
    """The socket of a ``hub:///path`` channel URL; None for any other channel."""
    parts = urlsplit(url or "")
    return Path(parts.path) if parts.scheme == "hub" and parts.path else None
