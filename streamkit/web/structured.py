"""Open Graph and schema.org JSON-LD for event and media pages, built as plain data and emitted with tojson."""

from __future__ import annotations

from typing import Any

from streamkit.archive.models import ArchiveEntry, Event, EventStatus


def iso_duration(ms: int) -> str:
    seconds = max(0, ms // 1000)
    return f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"


def video_object(entry: ArchiveEntry, *, url: str, content_url: str, thumbnail_url: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": entry.title,
        "description": entry.description or entry.title,
        "uploadDate": entry.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": iso_duration(entry.duration_ms),
        "contentUrl": content_url,
        "url": url,
    }
    if thumbnail_url:
        data["thumbnailUrl"] = thumbnail_url
    return data


def broadcast_event(event: Event, *, url: str, recording: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BroadcastEvent",
        "name": event.title,
        "description": event.description or event.title,
        "startDate": event.start_local.isoformat(),
        "endDate": event.end_local.isoformat(),
        "isLiveBroadcast": True,
        "url": url,
    }
    if event.status == EventStatus.CANCELLED.value:
        data["eventStatus"] = "https://schema.org/EventCancelled"
    if event.venue:
        data["location"] = {"@type": "Place", "name": event.venue}
    if recording is not None:
        data["workPerformed"] = recording
    return data
