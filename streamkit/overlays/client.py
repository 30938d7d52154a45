"""Publish overlay events to the site over HTTP, for a ceremony runner in another process or on another machine."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from pydantic import SecretStr

from streamkit.errors import StreamkitError
from streamkit.overlays.bus import OverlayEvent


class OverlayPublishError(StreamkitError):
    """The overlay server could not be reached or refused an event."""


class OverlayClient:
    """POSTs events to ``<base_url>/overlays/events``; the token (if any) goes only into the Authorization header."""

    def __init__(self, base_url: str, *, token: SecretStr | None = None, timeout_s: float = 2.0) -> None:
        self.url = base_url.rstrip("/") + "/overlays/events"
        self._token = token
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"OverlayClient({self.url!r}, token={'set' if self._token else 'none'})"

    def publish(self, event: OverlayEvent) -> int:
        """Send one event; returns how many pages received it."""
        headers = {"Content-Type": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        body = event.model_dump_json(exclude_none=True).encode()
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            reason = _error_text(exc)
            raise OverlayPublishError(f"overlay server {self.url} refused the event ({exc.code}): {reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            cause = getattr(exc, "reason", exc)
            raise OverlayPublishError(f"cannot reach the overlay server at {self.url}: {cause}") from None
        delivered = answer.get("delivered", 0) if isinstance(answer, dict) else 0
        return int(delivered)


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return str(exc.reason)
    finally:
        exc.close()
    return str(data.get("error", exc.reason)) if isinstance(data, dict) else str(exc.reason)
