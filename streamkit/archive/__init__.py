"""The archive store: events, recordings and tours, published by the toolkit and read by the site.

Import from the modules: ``streamkit.archive.store.ArchiveStore``, ``streamkit.archive.publish.publish_media``,
``streamkit.archive.models`` (kept out of this file so the CLI starts without loading SQLAlchemy).
"""
