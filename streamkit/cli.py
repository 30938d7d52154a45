"""The ``streamkit`` command. Each area adds its commands from its own ``cli`` module.

The root callback reads the settings once (``--config``, else config/streamkit.yaml when present, then the
``STREAMKIT_*`` environment), points the media tools at ``media.ffmpeg``/``media.ffprobe`` and keeps the settings in
the context for every command. Errors raised on purpose (StreamkitError) become one ``error: …`` line and exit
code 1; usage errors exit 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from streamkit import __version__
from streamkit.archive.cli import app as archive_app
from streamkit.campaigns.cli import app as campaign_app
from streamkit.ceremony.cli import app as ceremony_app
from streamkit.cli_common import FrameSize, default_note, err_console, out_console, settings_of, size_option
from streamkit.config.settings import load_settings
from streamkit.errors import ConfigError, StreamkitError
from streamkit.farm.cli import app as farm_app
from streamkit.live.cli import app as live_app
from streamkit.media.tools import MediaTools, using_media_tools
from streamkit.obs.cli import app as obs_app
from streamkit.overlays.cli import app as overlay_app
from streamkit.participation.cli import app as participation_app
from streamkit.register.cli import app as register_app
from streamkit.tours.cli import app as tours_app
from streamkit.web.cli import app as web_app

app = typer.Typer(
    name="streamkit",
    help="Live ceremonies on OBS, guided video tours and an archive site for memorial halls.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)


def _version(value: bool) -> None:
    if value:
        out_console.print(f"streamkit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings file. " + default_note("config/streamkit.yaml when present")),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """streamkit: live ceremonies, guided video tours and an archive site."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings(config)
    ctx.with_resource(using_media_tools(MediaTools(settings.media.ffmpeg, settings.media.ffprobe)))
    ctx.obj = settings


@app.command()
def doctor() -> None:
    """Check every external piece streamkit uses; exit 1 when a required one is missing."""
    from streamkit.doctor import print_report, run_checks

    checks = run_checks()
    # a report piped to a file or a CI log is read whole: do not squeeze it into 80 columns
    print_report(checks, out_console if out_console.is_terminal else Console(width=160))
    if any(c.required and not c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def samples(
    folder: Annotated[Path, typer.Argument(help="Where to write the sample media.")] = Path("samples"),
    size: Annotated[FrameSize, size_option("Clip size (even).", minimum=64, even=True)] = FrameSize(320, 180),
    seed: Annotated[int, typer.Option(help="Seed for names and photos; same seed, same files.")] = 1,
    force: Annotated[bool, typer.Option(help="Regenerate even when the set is up to date.")] = False,
) -> None:
    """Generate small deterministic sample media: clips, tomb photos, narration, music, logo, register."""
    from streamkit.media.samples import generate

    made = generate(folder, width=size.width, height=size.height, seed=seed, force=force)
    out_console.print(
        f"samples in {made.folder}: {len(made.clips)} clips, {len(made.photos)} tomb photos, "
        f"narration ({'espeak-ng speech' if made.spoken else 'tones: espeak-ng not installed'}), "
        "music bed, logo, register of 40 names"
    )


@app.command("probe")
def probe_command(paths: Annotated[list[Path], typer.Argument(help="Media files to describe.")]) -> None:
    """Describe media files (duration, streams, rotation); a bad file is reported and the rest go on."""
    from streamkit.media.probe import probe

    failed = 0
    for path in paths:
        try:
            info = probe(path)
        except StreamkitError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False)
            failed += 1
            continue
        parts = [f"{info.duration_s:.3f} s"]
        parts += [
            f"video {v.codec} {v.width}x{v.height} {float(v.fps):.3f} fps"
            + (f" rotated {v.rotation}°" if v.rotation else "")
            + (" VFR" if v.is_variable_frame_rate else "")
            for v in info.video
        ]
        parts += [f"audio {a.codec} {a.sample_rate} Hz {a.channels} ch" for a in info.audio]
        out_console.print(f"{path}: " + ", ".join(parts), markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


config_app = typer.Typer(help="Check configuration files.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(obs_app, name="obs")
app.add_typer(ceremony_app, name="ceremony")
app.add_typer(tours_app, name="tour")
app.add_typer(overlay_app, name="overlay")
app.add_typer(archive_app, name="archive")
app.add_typer(register_app, name="register")
app.add_typer(web_app, name="web")
app.add_typer(live_app, name="live")
app.add_typer(farm_app, name="farm")
app.add_typer(participation_app, name="participation")
app.add_typer(campaign_app, name="campaign")


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate the settings (streamkit --config FILE, environment) and print the merged result, secrets hidden."""
    out_console.print(settings_of(ctx).model_dump_json(indent=2), markup=False, highlight=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn errors into one line and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        if exc.code == INTERRUPTED:  # Typer turns Ctrl-C into a silent exit 130
            err_console.print("error: interrupted", markup=False, highlight=False)
        raise
    except ConfigError as exc:
        if debug:
            raise
        for line in exc.lines():
            err_console.print(f"error: {line}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except StreamkitError as exc:
        if debug:
            raise
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("error: interrupted", markup=False, highlight=False)
        sys.exit(INTERRUPTED)
    except Exception as exc:  # a bug: one line for the user, the traceback with --debug
        if debug:
            raise
        err_console.print(
            f"error: internal error ({type(exc).__name__}: {exc}); run again with --debug for details",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
