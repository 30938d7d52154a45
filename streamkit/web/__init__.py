"""The schedule and archive site: a Flask app factory over the archive store.

``from streamkit.web import create_app`` works; Flask is loaded on that first use, not when the CLI starts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WEB_ROOT", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from streamkit.web import app

        return getattr(app, name)
    raise AttributeError(name)
