"""The schedule and archive site: ``streamkit.web.app.create_app`` builds it over the archive store.

Nothing is imported here, so the CLI starts without loading Flask.
"""
