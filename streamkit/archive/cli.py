"""``streamkit archive``: publish media and events into the archive store and list what is there."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer

from streamkit.cli_common import DbOption, default_note, open_archive, out_console, settings_of
from streamkit.errors import ArchiveError

app = typer.Typer(help="Publish recordings, tours and events into the archive.", no_args_is_help=True)


# the values of archive.models.EntryKind, spelled here so that every command does not load SQLAlchemy
EntryKind = Literal["recording", "tour"]


MediaDirOption = Annotated[
    Path | None, typer.Option("--media-dir", help="Media folder. " + default_note("settings web.media_dir"))
]


@app.command("add")
def add(
    ctx: typer.Context,
    media: Annotated[Path, typer.Argument(help="The MP4 (or other media) file to publish.")],
    title: Annotated[str, typer.Option(help="Title shown on the site.")],
    kind: Annotated[EntryKind, typer.Option(help="What the media is.")] = "tour",
    duration_ms: Annotated[int | None, typer.Option(help="Duration; probed from the file when left out.")] = None,
    poster: Annotated[Path | None, typer.Option(help="Poster image (JPEG/PNG).")] = None,
    captions: Annotated[Path | None, typer.Option(help="Captions as WebVTT.")] = None,
    chapters: Annotated[Path | None, typer.Option(help="Chapters as WebVTT.")] = None,
    description: Annotated[str, typer.Option(help="Description.")] = "",
    tag: Annotated[list[str] | None, typer.Option(help="A tag; repeat for more.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Campaign, e.g. 清明2026.")] = None,
    venue: Annotated[str | None, typer.Option(help="Venue.")] = None,
    event: Annotated[str | None, typer.Option(help="Slug of the event this records.")] = None,
    unpublished: Annotated[bool, typer.Option(help="Add it hidden; publish later in the admin.")] = False,
    link: Annotated[bool, typer.Option(help="Link the files into the media folder instead of copying.")] = False,
    db: DbOption = None,
    media_dir: MediaDirOption = None,
) -> None:
    """Publish a media file with its poster, captions and chapters; the same file again updates its entry."""
    from streamkit.archive.publish import publish_media

    if duration_ms is None:
        from streamkit.media.probe import probe

        duration_ms = probe(media).duration_ms
    entry = publish_media(
        open_archive(settings_of(ctx), db, media_dir),
        kind=kind,
        title=title,
        media_path=media,
        duration_ms=duration_ms,
        poster=poster,
        captions_vtt=captions,
        chapters_vtt=chapters,
        description=description,
        tags=tag or (),
        campaign=campaign,
        venue=venue,
        event_slug=event,
        published=not unpublished,
        copy=not link,
    )
    out_console.print(
        f"archive entry {entry.id}: {entry.title} ({entry.kind}, {entry.duration_ms / 1000:.1f} s)", markup=False
    )


@app.command("list")
def list_entries(
    ctx: typer.Context,
    kind: Annotated[EntryKind | None, typer.Option(help="Only entries of this kind.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include unpublished entries.")] = False,
    page: Annotated[int, typer.Option(min=1)] = 1,
    db: DbOption = None,
    media_dir: MediaDirOption = None,
) -> None:
    """List archive entries, newest first."""
    from streamkit.archive.store import ArchiveQuery

    found = open_archive(settings_of(ctx), db, media_dir).list_entries(
        ArchiveQuery(kind=kind or ""), page=page, per_page=50, published_only=not all_
    )
    for entry in found.items:
        state = "" if entry.published else " [unpublished]"
        out_console.print(
            f"{entry.id}\t{entry.kind}\t{entry.published_at:%Y-%m-%d}\t"
            f"{entry.duration_ms / 1000:.1f} s\t{entry.title}{state}",
            markup=False,
            highlight=False,
        )
    out_console.print(f"page {found.page} of {found.pages}, {found.total} entries", markup=False)


@app.command("add-event")
def add_event(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Title.")],
    start: Annotated[str, typer.Option(help="Local start, e.g. 2026-04-04T09:00.")],
    minutes: Annotated[int, typer.Option(min=1, help="Length in minutes.")] = 60,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the venue.")] = "Asia/Shanghai",
    description: Annotated[str, typer.Option()] = "",
    venue: Annotated[str, typer.Option()] = "",
    campaign: Annotated[str, typer.Option()] = "",
    stream_url: Annotated[str, typer.Option(help="HLS URL viewers watch while live.")] = "",
    db: DbOption = None,
    media_dir: MediaDirOption = None,
) -> None:
    """Announce an upcoming ceremony; prints its slug (its page is /events/SLUG)."""
    from streamkit.archive.events import EventDraft, create_event

    try:
        start_local = datetime.fromisoformat(start)
    except ValueError:
        raise ArchiveError(f"--start {start!r} is not a date and time like 2026-04-04T09:00") from None
    draft = EventDraft(
        title=title,
        start_local=start_local.replace(tzinfo=None),
        end_local=start_local.replace(tzinfo=None) + timedelta(minutes=minutes),
        timezone=timezone,
        description=description,
        venue=venue,
        campaign=campaign,
        stream_url=stream_url,
    )
    event = create_event(open_archive(settings_of(ctx), db, media_dir), draft, actor="cli")
    out_console.print(f"event {event.slug}: {event.title}", markup=False)


@app.command("list-events")
def list_events(ctx: typer.Context, db: DbOption = None, media_dir: MediaDirOption = None) -> None:
    """List upcoming and live events, soonest first (slug, local start, status, title)."""
    for event in open_archive(settings_of(ctx), db, media_dir).upcoming_events():
        out_console.print(
            f"{event.slug}\t{event.start_local:%Y-%m-%d %H:%M %Z}\t{event.status}\t{event.title}",
            markup=False,
            highlight=False,
        )


@app.command("migrate")
def migrate(ctx: typer.Context, db: DbOption = None, media_dir: MediaDirOption = None) -> None:
    """Create or upgrade the archive database (also done automatically on first use)."""
    store = open_archive(settings_of(ctx), db, media_dir)
    out_console.print(f"archive database is current: {store!r}", markup=False)
