"""The live area's error: the relay or a leg cannot do what was asked (messages never hold a stream key)."""

from __future__ import annotations

from streamkit.errors import StreamkitError


class LiveError(StreamkitError):
    """The relay cannot start, a port is taken, or no live run is there to ask."""
