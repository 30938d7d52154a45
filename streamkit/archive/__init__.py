"""The archive store: events, recordings and tours, published by the toolkit and read by the site."""

from streamkit.archive.models import ArchiveEntry, EntryKind, Event, EventStatus
from streamkit.archive.store import ArchiveQuery, ArchiveStore, Page

__all__ = ["ArchiveEntry", "ArchiveQuery", "ArchiveStore", "EntryKind", "Event", "EventStatus", "Page"]
