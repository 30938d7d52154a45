"""``streamkit tour check|render``: validate a tour spec and its media, render it with either engine."""

from __future__ import annotations

import signal
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from streamkit.cli_common import DbOption, err_console, open_archive, out_console, settings_of

if TYPE_CHECKING:
    from streamkit.tours.batch import Status
    from streamkit.tours.render import RenderOptions


class Engine(StrEnum):
    ffmpeg = "ffmpeg"
    moviepy = "moviepy"


app = typer.Typer(help="Guided video tours: check a tour spec, render it.", no_args_is_help=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@app.command("check")
def check(spec: Annotated[Path, typer.Argument(help="Tour spec (config/tours/*.yaml).")]) -> None:
    """Validate a tour spec and its media; list every problem, one per line; exit 1 if there are any."""
    from streamkit.tours.check import check_tour

    checked = check_tour(spec)  # spec errors (ConfigError) are listed by the root CLI
    for problem in checked.problems:
        err_console.print(f"error: {problem}", markup=False, highlight=False)
    if checked.problems:
        raise typer.Exit(1)
    stops = len(checked.tour.stops)
    out_console.print(f"{spec}: ok ({stops} stops, {len(checked.media)} media files probed)", markup=False)


@app.command("render")
def render(
    ctx: typer.Context,
    specs: Annotated[
        list[Path], typer.Argument(help="Tour spec(s) (config/tours/*.yaml); several make a batch.", metavar="SPEC...")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="The MP4 to write, sidecars beside it; for a batch (or an existing folder), the folder for SPEC.mp4.",
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the ffmpeg commands; run nothing.")] = False,
    hls: Annotated[
        Path | None,
        typer.Option("--hls", help="Also write an fMP4 HLS ladder into this folder (a batch: one subfolder per spec)."),
    ] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Fast, low-resolution render for checking.")] = False,
    no_burn: Annotated[bool, typer.Option("--no-burn-captions", help="Soft captions only.")] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="ffmpeg: filter graphs, the picture in chunks (fast). moviepy: every frame drawn in Python.",
        ),
    ] = Engine.ffmpeg,
    publish: Annotated[
        bool, typer.Option("--publish", help="Add the result to the archive of the site (settings web.database_url).")
    ] = False,
    campaign: Annotated[str | None, typer.Option(help="Campaign shown in the archive, e.g. 清明2026.")] = None,
    venue: Annotated[str | None, typer.Option(help="Venue shown in the archive.")] = None,
    farm: Annotated[
        bool, typer.Option("--farm", help="Enqueue the render on the render farm (settings farm.*); print its id.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="With --farm: wait until the render is done.")] = False,
) -> None:
    """Render a tour to MP4 (+ SRT, VTT, chapters VTT, poster JPG, JSON manifest).

    Several specs make a batch: every spec is checked first, each that passes is rendered (or enqueued with
    --farm), a broken one fails alone, and a summary ends the run; exit 1 if any failed.
    """
    from streamkit.tours.render import RenderOptions

    if publish and preview:
        raise typer.BadParameter("a preview is not for the archive; render without --preview to publish")
    if farm and publish:
        raise typer.BadParameter("--publish needs the finished render: publish it after the farm is done")
    if dry_run and len(specs) > 1:
        raise typer.BadParameter("--dry-run prints one render's commands: give one spec")
    burn = False if no_burn else None
    options = RenderOptions(hls_dir=hls, preview=preview, dry_run=dry_run, burn_captions=burn, engine=engine.value)
    # a service manager stops with SIGTERM: clean up exactly as for Ctrl-C (ffmpeg stopped, partial files removed)
    signal.signal(signal.SIGTERM, _interrupt)
    if len(specs) > 1 or output.is_dir():
        _render_batch(ctx, specs, output, options, farm=farm, wait=wait, publish=publish, where=(campaign, venue))
        return
    spec = specs[0]
    if farm:
        _farm_one(ctx, spec, output, options, wait)
        return
    _render_here(ctx, spec, output, options, publish=publish, where=(campaign, venue))


def _render_here(
    ctx: typer.Context,
    spec: Path,
    output: Path,
    options: RenderOptions,
    *,
    publish: bool,
    where: tuple[str | None, str | None],
) -> str:
    """Render one spec in this process (and publish it when asked); returns a line saying what was made."""
    from streamkit.tours.render import render_tour

    hls = options.hls_dir
    result = render_tour(spec, output, options, console=err_console)
    if options.dry_run:
        return ""
    plan = result.timeline
    summary = f"{plan.duration_ms / 1000:.3f} s, {len(plan.chapters)} chapters, {len(plan.captions)} captions"
    summary += f", rendered in {result.seconds:.1f} s"
    out_console.print(f"{output}: {summary}", markup=False)
    for path in result.sidecars:
        out_console.print(f"  {path}", markup=False)
    if hls is not None:
        out_console.print(f"  {hls / 'master.m3u8'}", markup=False)
    if publish:
        from streamkit.tours.publish import publish_tour
        from streamkit.tours.spec import load_tour

        campaign, venue = where
        entry = publish_tour(open_archive(settings_of(ctx)), load_tour(spec), result, campaign=campaign, venue=venue)
        out_console.print(f"published as archive entry {entry.id}: {entry.title}", markup=False)
        summary += f", archive entry {entry.id}"
    return summary


def _render_batch(
    ctx: typer.Context,
    specs: list[Path],
    folder: Path,
    options: RenderOptions,
    *,
    farm: bool,
    wait: bool,
    publish: bool,
    where: tuple[str | None, str | None],
) -> None:
    """Check all specs, render (or enqueue) each that passed, print the summary; exit 1 if any failed."""
    import dataclasses

    from streamkit.tours.batch import BatchItem, plan_batch, run_batch, summary

    items = plan_batch(specs, folder, options.hls_dir)
    folder.mkdir(parents=True, exist_ok=True)

    def render_one(item: BatchItem) -> tuple[Status, str]:
        err_console.print(f"{item.spec} -> {item.output}", markup=False, highlight=False)
        one = dataclasses.replace(options, hls_dir=item.hls_dir)
        if farm:
            return _farm_one(ctx, item.spec, item.output, one, wait)
        return "rendered", _render_here(ctx, item.spec, item.output, one, publish=publish, where=where)

    outcomes = run_batch(items, render_one)
    for line in summary(outcomes):
        out_console.print(line, markup=False, highlight=False)
    if any(outcome.status == "failed" for outcome in outcomes):
        raise typer.Exit(1)


@app.command("from-register")
def from_register(
    ctx: typer.Context,
    cemetery: Annotated[str, typer.Option("--cemetery", help="The cemetery as the register names it.")],
    section: Annotated[str, typer.Option("--section", help="The section (墓区), e.g. A.")],
    out: Annotated[Path, typer.Option("--out", help="The tour spec to write.")] = Path("tour.yaml"),
    database_url: DbOption = None,
) -> None:
    """Draft a tour spec from the register: the section's tombs in walking order, a photo shot each, named so the
    render records which martyr is on screen when. Records with no tomb photo are listed and left out."""
    import yaml

    from streamkit.errors import StreamkitError
    from streamkit.media.publish import write_text_atomic
    from streamkit.tours.from_register import draft_section, tour_spec

    store = open_archive(settings_of(ctx), database_url)
    try:
        draft = draft_section(store, cemetery, section)
    finally:
        store.dispose()
    for warning in draft.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)
    if not draft.stops:
        raise StreamkitError(f"{cemetery} {section.upper()}区: no record with a tomb photo; nothing to tour")
    spec = tour_spec(draft, cemetery, section, out.parent)
    header = "# Drafted from the register by `streamkit tour from-register`; adjust freely.\n"
    write_text_atomic(out, header + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=120))
    out_console.print(f"{out}: {len(draft.stops)} tombs, {len(draft.warnings)} left out", markup=False)


def _farm_one(ctx: typer.Context, spec: Path, output: Path, options: RenderOptions, wait: bool) -> tuple[Status, str]:
    """Enqueue one render on the farm (and wait for it when asked); what became of it, in one line."""
    from streamkit.farm.queue import connect
    from streamkit.farm.queue import wait as wait_for
    from streamkit.farm.submit import submit_render

    farm = settings_of(ctx).farm
    record = submit_render(spec, output, options, farm, err_console)
    skipped = f" ({record.skipped} chunks finished before)" if record.skipped else ""
    out_console.print(f"{record.id}: {len(record.chunks)} chunks enqueued{skipped}", markup=False)
    if not wait:
        return "enqueued", f"farm render {record.id}"
    wait_for(connect(farm), record.id)
    out_console.print(f"{record.output}: rendered on the farm", markup=False)
    return "rendered", f"on the farm as {record.id}"
