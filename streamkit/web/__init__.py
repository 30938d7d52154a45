"""The schedule and archive site: a Flask app factory over the archive store."""

from streamkit.web.app import WEB_ROOT, create_app

__all__ = ["WEB_ROOT", "create_app"]
