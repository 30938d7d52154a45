"""Publish a rendered tour into the archive: the MP4 with its poster, captions and chapters, and the moments each
stop naming a register record shows that martyr (their page links to them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamkit.tours.outputs import sidecar_paths
from streamkit.tours.render import RenderResult
from streamkit.tours.spec import Tour

if TYPE_CHECKING:
    from streamkit.archive.models import ArchiveEntry
    from streamkit.archive.store import ArchiveStore


def tour_title(tour: Tour) -> str:
    """The title card's lines make the archive title; a tour without one is named by its first stop."""
    if tour.title is not None:
        return " ".join(line.strip() for line in tour.title.lines if line.strip())
    return tour.stops[0].title


def publish_tour(
    store: ArchiveStore, tour: Tour, result: RenderResult, *, campaign: str | None = None, venue: str | None = None
) -> ArchiveEntry:
    """Add (or update) the tour's archive entry; sidecars that were not written are simply left out."""
    from streamkit.archive.publish import publish_media
    from streamkit.register.memorial import record_appearances

    sidecars = sidecar_paths(result.output)
    chapter_titles = "、".join(c.title for c in result.timeline.chapters)
    entry = publish_media(
        store,
        kind="tour",
        title=tour_title(tour),
        media_path=result.output,
        duration_ms=result.timeline.duration_ms,
        poster=sidecars["poster"] if sidecars["poster"].exists() else None,
        captions_vtt=sidecars["vtt"] if sidecars["vtt"].exists() else None,
        chapters_vtt=sidecars["chapters"] if sidecars["chapters"].exists() else None,
        description=chapter_titles,
        campaign=campaign,
        venue=venue,
    )
    moments = [(c.martyr, c.start_ms, c.end_ms) for c in result.timeline.chapters if c.martyr is not None]
    with store.transaction() as session:
        record_appearances(session, entry.id, moments)
    return entry
