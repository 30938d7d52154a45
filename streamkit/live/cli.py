"""``streamkit live``: the relay, the push to every destination, its status and the operator's actions."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from streamkit.cli_common import err_console, out_console, settings_of
from streamkit.live.destinations import resolve
from streamkit.live.errors import LiveError
from streamkit.live.leg import LegChange
from streamkit.live.masking import redact
from streamkit.live.relay import Relay, RelayPlan
from streamkit.live.run import LiveRun, read_status, request_action
from streamkit.media.tools import ffmpeg_binary

app = typer.Typer(help="Push one program to every platform at once through a local relay.", no_args_is_help=True)
POLL_S = 0.5

SecondsOption = Annotated[
    float | None, typer.Option("--seconds", min=0.1, help="Stop after this long (rehearsals); else until Ctrl-C.")
]


def _say(text: str) -> None:
    out_console.print(text, markup=False, highlight=False)


def _until_stopped(seconds: float | None, every: float) -> None:
    """Sleep in steps until ``seconds`` passed, Ctrl-C or SIGTERM."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(every)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_change(change: LegChange) -> None:
    reason = f" ({redact(change.reason)})" if change.reason else ""
    retry = f", retry in {change.next_retry_at - change.at:.1f} s" if change.next_retry_at is not None else ""
    _say(f"{time.strftime('%H:%M:%S')} {change.leg}: {change.before} → {change.after}{reason}{retry}")


@app.command("run")
def run_command(
    ctx: typer.Context,
    feed: Annotated[
        str | None,
        typer.Option("--source-url", help="Feed this URL or file into the relay (a file loops); else OBS publishes."),
    ] = None,
    seconds: SecondsOption = None,
) -> None:
    """Start the relay and one push per enabled destination; print every leg's state changes until stopped."""
    settings = settings_of(ctx)
    targets = resolve(settings.live)
    if not targets:
        raise LiveError("no destinations with a stream key in settings (live.destinations); see docs/live.md")
    if feed is not None and "://" not in feed and not Path(feed).is_file():
        raise LiveError(f"--source-url {feed}: no such file")
    run = LiveRun(settings.live, targets, ffmpeg_bin=ffmpeg_binary(), feed=feed, on_change=_print_change)
    run.start()
    try:
        _say(f"relay: publish the program to {run.plan.program_url}; site HLS at {run.plan.hls_url}")
        for target in targets:
            _say(f"  {target.name}: {target.protocol} {target.shown}{'' if target.enabled else ' (disabled)'}")
        _say("legs start when the program reaches the relay")
        _until_stopped(seconds, POLL_S)
    finally:
        run.stop()
    _say("stopped: every leg and the relay")


@app.command("relay")
def relay_command(ctx: typer.Context, seconds: SecondsOption = None) -> None:
    """Run only the relay (program in, HLS out) until stopped."""
    plan = RelayPlan.from_settings(settings_of(ctx).live)
    with Relay(plan):
        _say(f"relay: publish to {plan.program_url}; HLS at {plan.hls_url}; Ctrl-C stops")
        _until_stopped(seconds, POLL_S)


@app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the legs of the running (or last) live push."""
    status = read_status(settings_of(ctx).live.run_dir)
    program = status.get("program", {})
    state = "running" if status["running"] else "ended"
    on_relay = "on the relay" if program.get("publishing") else "not on the relay"
    _say(f"live push {state}; program {on_relay} ({program.get('bitrate_in', 0) // 1000} kbit/s in)")
    if status.get("on_air") == "standby":
        _say("  the standby slate is on air: the program is not reaching the relay")
    if status["running"] and not status.get("legs_started"):
        _say("  legs wait for the program")
    for leg in status.get("legs", []):
        parts = [f"{leg['name']}: {leg['state']}", leg["destination"]]
        if leg.get("uptime_s") is not None:
            parts.append(f"up {leg['uptime_s']:.0f} s, {leg['bitrate'] // 1000} kbit/s")
        if leg.get("next_retry_in_s") is not None and leg["state"] == "retrying":
            parts.append(f"retry {leg['attempts'] + 1} in {leg['next_retry_in_s']:.1f} s")
        if leg.get("last_error"):
            parts.append(f"last error: {leg['last_error']}")
        _say("  " + "; ".join(parts))
    if not status["running"]:
        raise typer.Exit(1)


@app.command("destinations")
def destinations_command(ctx: typer.Context) -> None:
    """List the destinations from settings, keys masked."""
    for target in resolve(settings_of(ctx).live):
        _say(f"{target.name}: {target.protocol} {target.shown}{'' if target.enabled else ' (disabled)'}")


LegArgument = Annotated[str, typer.Argument(help="The destination's name in settings.")]


@app.command("retry")
def retry_command(ctx: typer.Context, leg: LegArgument) -> None:
    """Retry a leg now (also re-enables a disabled or failed one)."""
    request_action(settings_of(ctx).live.run_dir, leg, "retry")
    _say(f"{leg}: retry requested")


@app.command("disable")
def disable_command(ctx: typer.Context, leg: LegArgument) -> None:
    """Stop pushing to a destination for the rest of the run (``retry`` brings it back)."""
    request_action(settings_of(ctx).live.run_dir, leg, "disable")
    _say(f"{leg}: disable requested")


@app.command("set-key")
def set_key_command(ctx: typer.Context, leg: LegArgument) -> None:
    """Replace a destination's stream key for this run and restart its leg; the key is read from stdin."""
    key = typer.prompt("new stream key", hide_input=True) if sys.stdin.isatty() else sys.stdin.readline()
    if not key.strip():
        raise LiveError("no key given on stdin")
    request_action(settings_of(ctx).live.run_dir, leg, "key", key.strip())
    err_console.print(f"{leg}: new key handed to the running push; the leg restarts", markup=False)
