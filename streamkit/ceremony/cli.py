"""``streamkit ceremony``: preflight a rundown, run it live (operator console) or unattended (--auto)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from streamkit.ceremony.rundown import Rundown, load_rundown
from streamkit.cli_common import err_console, open_archive, out_console, settings_of
from streamkit.config.settings import Settings
from streamkit.errors import ObsError, StreamkitError
from streamkit.obs.cli import connection

if TYPE_CHECKING:
    from streamkit.ceremony.live import CeremonyLive

app = typer.Typer(help="Run ceremonies from a rundown on OBS.", no_args_is_help=True)
# On air, OBS is tried again at least every second while it is down: back on air within a second of its return.
ON_AIR_BACKOFF_S = (0.2, 1.0)
# The site serves the relay's HLS folder here (streamkit/web/public.py ``live_hls``): one URL for every viewer.
SITE_LIVE_PLAYLIST = "/live/program.m3u8"

ScenesOption = Annotated[list[Path], typer.Option("--scenes", help="Scene files or folders whose media to check.")]


@app.command()
def check(
    ctx: typer.Context,
    rundown_path: Annotated[Path, typer.Argument(metavar="RUNDOWN", help="Rundown YAML.")],
    scenes: ScenesOption = [Path("scenes")],  # noqa: B006 - typer reads the default, never mutates it
) -> None:
    """Preflight: OBS reachable and its version, scenes and sources, media, fonts, stream target, disk; all at once."""
    settings = settings_of(ctx)
    rundown = load_rundown(rundown_path)
    _preflight(settings, rundown, scenes, rehearsal=False, show_facts=True)
    out_console.print(
        f"ready: {rundown.title}, {len(rundown.segments)} segments, {rundown.planned_ms / 60000:.1f} min planned"
    )


def _preflight(settings: Settings, rundown: Rundown, scenes: list[Path], *, rehearsal: bool, show_facts: bool) -> None:
    """Run the preflight; print every problem and exit 1 if there is any."""
    from streamkit.ceremony.preflight import preflight

    report = asyncio.run(preflight(rundown, settings, scenes, connection(settings), rehearsal=rehearsal))
    for fact in report.facts if show_facts else []:
        out_console.print(f"ok: {fact}", markup=False, highlight=False)
    for problem in report.problems:
        err_console.print(f"error: {problem}", markup=False, highlight=False)
    if not report.ok:
        err_console.print(f"{len(report.problems)} problem(s); not ready to go on air", markup=False)
        raise typer.Exit(1)


@app.command()
def run(
    ctx: typer.Context,
    rundown_path: Annotated[Path, typer.Argument(metavar="RUNDOWN", help="Rundown YAML.")],
    auto: Annotated[bool, typer.Option("--auto", help="Follow the timings without an operator.")] = False,
    rehearsal: Annotated[bool, typer.Option("--rehearsal", help="Never start the stream.")] = False,
    resume: Annotated[Path | None, typer.Option("--resume", help="Continue a run from its as-run log.")] = None,
    time_scale: Annotated[
        float, typer.Option(help="Multiply every duration (0.1 = ten times faster).", min=0.001)
    ] = 1.0,
    manual_auto_s: Annotated[float, typer.Option(help="Length of manual segments under --auto.")] = 5.0,
    wait_for_start: Annotated[
        bool, typer.Option("--wait-for-start", help="With --auto: show the standby scene until scheduled_start.")
    ] = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="At the end, publish the recordings to the archive site.")
    ] = False,
    event: Annotated[
        str | None,
        typer.Option(
            "--event",
            help="The archive event (slug) this ceremony is: its page turns live with the program, ended at the end, "
            "and with --publish shows the recording.",
        ),
    ] = None,
    scenes: ScenesOption = [Path("scenes")],  # noqa: B006 - typer reads the default, never mutates it
) -> None:
    """Run the rundown: cues confirmed by OBS events, as-run log under runs/, chapters beside the recording.

    The preflight of ``ceremony check`` runs first (not on --resume): a rundown it refuses never goes on air.
    """
    settings = settings_of(ctx)
    rundown = load_rundown(rundown_path)
    if not auto and not sys.stdin.isatty():
        raise typer.BadParameter("the operator console needs a terminal for its keys; use --auto to run unattended")
    start_at = None
    if wait_for_start:
        if not auto or rundown.scheduled_start is None:
            raise typer.BadParameter("needs --auto and a scheduled_start in the rundown", param_hint="--wait-for-start")
        start_at = rundown.scheduled_start.timestamp()
    if event is not None:
        _check_event(settings, event)  # before air time, not after the ceremony
    if resume is None:  # a resumed run passed it before going on air; now getting back fast matters most
        _preflight(settings, rundown, scenes, rehearsal=rehearsal, show_facts=False)
    if time_scale != 1.0:
        rundown = rundown.scaled(time_scale)
    summary = asyncio.run(
        _run(
            settings,
            rundown,
            str(rundown_path),
            auto=auto,
            rehearsal=rehearsal,
            resume=resume,
            manual_auto_s=manual_auto_s * time_scale,
            start_at=start_at,
            event=event,
        )
    )
    out_console.print(json.dumps(summary, ensure_ascii=False, indent=2), markup=False, highlight=False)
    if publish:
        _publish(settings, rundown, summary.get("recordings") or [], event)
    if summary.get("stream_interruptions"):
        err_console.print(
            f"error: the stream was interrupted ({summary['stream_interruptions']} time(s), "
            f"off air {summary['off_air_s']:.1f} s in all); see {summary['log']}",
            markup=False,
            highlight=False,
        )
    failed = summary.get("cues", {}).get("failed") or summary.get("outputs_failed") or summary.get("aborted")
    if failed or summary.get("stream_interruptions"):
        raise typer.Exit(1)


def _check_event(settings: Settings, slug: str) -> None:
    store = open_archive(settings)
    try:
        if store.event_by_slug(slug) is None:
            raise typer.BadParameter(
                f"no archive event {slug!r}; see 'streamkit archive list-events'", param_hint="--event"
            )
    finally:
        store.dispose()


def _publish(settings: Settings, rundown: Rundown, recordings: list[str], event: str | None) -> None:
    from streamkit.ceremony.publish import publish_recordings

    if not recordings:
        err_console.print("nothing to publish: the run made no recording", markup=False, highlight=False)
        return
    store = open_archive(settings)
    try:
        for done in publish_recordings(store, rundown, recordings, event_slug=event):
            out_console.print(
                f"published {done.recording} as archive entry {done.entry_id}: {done.title}", markup=False
            )
    finally:
        store.dispose()


async def _run(
    settings: Settings,
    rundown: Rundown,
    rundown_path: str,
    *,
    auto: bool,
    rehearsal: bool,
    resume: Path | None,
    manual_auto_s: float,
    start_at: float | None,
    event: str | None = None,
) -> dict[str, Any]:
    from streamkit.ceremony import console
    from streamkit.ceremony.asrun import AsRunLog, new_log_path, read_log
    from streamkit.ceremony.outputs import StreamDestination
    from streamkit.ceremony.runner import CeremonyRunner
    from streamkit.ceremony.schedule import resume_point
    from streamkit.ceremony.status import RunOptions
    from streamkit.obs.client import ObsClient

    destination = None
    live = None if rehearsal else _live(settings, event)
    if live is not None:
        destination = live.destination  # OBS streams once, to the relay; the legs carry it to every platform
    elif rundown.stream_target is not None and not rehearsal:
        target = settings.targets.get(rundown.stream_target)
        if target is None:
            raise ObsError(f"stream target {rundown.stream_target!r} is not configured; run 'streamkit ceremony check'")
        key = target.key.get_secret_value() if target.key else ""
        destination = StreamDestination(rundown.stream_target, target.url, key)
    point = None
    if resume is not None:
        point = resume_point(read_log(resume))
        log_path = resume
    else:
        log_path = new_log_path(settings.runs_dir, rundown.title)
    client = ObsClient(
        connection(settings),
        request_timeout_s=settings.obs.request_timeout_s,
        backoff_s=ON_AIR_BACKOFF_S,
        refresh=lambda: connection(settings),  # `obs launch` after a crash publishes a new password
    )
    await client.connect()
    log = AsRunLog(log_path)
    if live is not None:
        live.start()
    try:
        runner = CeremonyRunner(
            client,
            rundown,
            log,
            options=RunOptions(auto=auto, rehearsal=rehearsal, manual_auto_s=manual_auto_s, start_at=start_at),
            overlay_dir=settings.obs.overlay_dir.resolve(),
            media_root=settings.obs.media_root.resolve(),
            destination=destination,
            register_database_url=settings.web.database_url,
            live=live,
        )
        err_console.print(f"as-run log: {log_path}", markup=False, highlight=False)
        screen = asyncio.create_task(console.show(runner, err_console))
        try:
            summary = await runner.run(rundown_path=rundown_path, resume=point)
        finally:
            runner.status.ended = True
            await screen
        if event is not None and not rehearsal:
            try:
                _set_event(settings, event, "ended")
            except StreamkitError as exc:  # the summary and the recording matter more than the page
                err_console.print(f"error: event page not set to ended: {exc}", markup=False, highlight=False)
        summary["log"] = str(log_path)
        summary["aborted"] = any(e.get("event") == "abort" for e in runner.entries)
        return summary
    finally:
        if live is not None:
            live.run.stop()  # already stopped by the runner unless it failed before; stopping twice is harmless
        log.close()
        await client.close()


def _live(settings: Settings, event: str | None) -> CeremonyLive | None:
    """The relay and legs when live destinations are set (OBS then streams to the relay, not to one target)."""
    from streamkit.ceremony.live import CeremonyLive
    from streamkit.live.destinations import resolve
    from streamkit.live.run import LiveRun
    from streamkit.media.tools import ffmpeg_binary

    targets = resolve(settings.live)
    if not any(t.enabled for t in targets):
        return None
    run = LiveRun(settings.live, targets, ffmpeg_bin=ffmpeg_binary())
    on_program = (lambda: _set_event(settings, event, "live")) if event is not None else (lambda: None)
    return CeremonyLive(run, on_program=on_program)


def _set_event(settings: Settings, slug: str, phase: str) -> None:
    """Turn the event page live (its player on the site's own HLS) or ended."""
    from streamkit.archive.events import set_event_status
    from streamkit.archive.models import EventStatus

    store = open_archive(settings)
    try:
        if phase == "live":
            set_event_status(store, slug, EventStatus.LIVE, actor="ceremony", stream_url=SITE_LIVE_PLAYLIST)
        else:
            set_event_status(store, slug, EventStatus.ENDED, actor="ceremony")
    finally:
        store.dispose()
