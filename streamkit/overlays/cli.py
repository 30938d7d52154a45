"""``streamkit overlay …``: render overlays for staff, check texts for missing glyphs, serve the browser pages."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from streamkit.errors import MediaError, StreamkitError

app = typer.Typer(help="Overlays: lower-thirds, slates, countdown, name roll.", no_args_is_help=True)
out_console = Console(soft_wrap=True)


class Kind(StrEnum):
    lower_third = "lower-third"
    title = "title"
    standby = "standby"
    countdown = "countdown"
    name_roll = "name-roll"


STILL_SUFFIXES = (".png",)


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) < 16 or int(height) < 16:
        raise typer.BadParameter(f"{text!r} is not WIDTHxHEIGHT (for example 1920x1080)", param_hint="--size")
    return int(width), int(height)


@app.command()
def render(
    kind: Annotated[Kind, typer.Argument(help="What to render.")],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="PNG for stills; .webm/.mov/.mp4 or a folder (PNG sequence) for the name roll."
        ),
    ],
    text: Annotated[
        list[str] | None,
        typer.Option(
            "--text", "-t", help="Text lines: lower-third NAME [DETAIL]; title LINE…; standby MESSAGE; countdown TITLE."
        ),
    ] = None,
    seconds: Annotated[int, typer.Option(help="Countdown: seconds remaining.", min=0)] = 60,
    register: Annotated[Path | None, typer.Option(help="Name roll: the register CSV.")] = None,
    size: Annotated[str, typer.Option(help="Frame size WIDTHxHEIGHT.")] = "1920x1080",
    style: Annotated[str, typer.Option(help="Style name (overlays/styles/NAME.yaml) or a YAML path.")] = "memorial",
    vertical: Annotated[bool, typer.Option(help="Title: set the lines vertically, right to left.")] = False,
    fps: Annotated[int, typer.Option(help="Name roll: frames per second.", min=1, max=120)] = 25,
    speed: Annotated[float | None, typer.Option(help="Name roll: scroll speed in px/s (default: the style's).")] = None,
    alpha: Annotated[bool, typer.Option(help="Name roll: keep transparency (not for .mp4).")] = True,
    dry_run: Annotated[bool, typer.Option(help="Name roll: print the ffmpeg command, render nothing.")] = False,
) -> None:
    """Render one overlay to a file (written atomically: nothing appears under OUTPUT on failure)."""
    from streamkit.media.publish import atomic_output
    from streamkit.overlays import (
        NameRoll,
        load_register,
        load_style,
        publish_name_roll_frames,
        render_countdown,
        render_lower_third,
        render_name_roll_video,
        render_standby_slate,
        render_title_slate,
    )

    frame = parse_size(size)
    chosen = load_style(style)
    lines = [t for t in (text or []) if t.strip()]
    if kind is Kind.name_roll:
        if register is None:
            raise typer.BadParameter("the name roll needs --register CSV", param_hint="--register")
        roll = NameRoll(
            load_register(register),
            size=frame,
            fps=fps,
            speed_px_per_s=speed,
            style=chosen,
            title=lines[0] if lines else None,
        )
        if output.suffix == "":
            publish_name_roll_frames(roll, output, alpha=alpha)
        else:
            render_name_roll_video(roll, output, alpha=alpha, dry_run=dry_run)
        if not dry_run:
            out_console.print(
                f"{output}: name roll of {len(roll.entries)} names, {roll.duration_s:.2f} s "
                f"at {roll.fps} fps, {roll.speed_px_per_s:g} px/s",
                markup=False,
                highlight=False,
            )
        return
    if output.suffix.lower() not in STILL_SUFFIXES:
        raise MediaError(output, f"a {kind.value} is a still image; name the output .png")
    if kind is Kind.lower_third:
        if not lines:
            raise typer.BadParameter(
                "a lower-third needs --text NAME (and optionally --text DETAIL)", param_hint="--text"
            )
        image = render_lower_third(lines[0], " ".join(lines[1:]) or None, size=frame, style=chosen)
    elif kind is Kind.title:
        if not lines:
            raise typer.BadParameter("a title slate needs at least one --text LINE", param_hint="--text")
        image = render_title_slate(lines, size=frame, style=chosen, vertical=vertical)
    elif kind is Kind.standby:
        image = render_standby_slate(" ".join(lines) or None, size=frame, style=chosen)
    else:
        image = render_countdown(seconds, title=lines[0] if lines else "默哀", size=frame, style=chosen)
    with atomic_output(output) as partial:
        image.save(partial, format="PNG")
    out_console.print(f"{output}: {kind.value} {frame[0]}x{frame[1]}", markup=False, highlight=False)


@app.command()
def glyphs(
    text: Annotated[list[str] | None, typer.Option("--text", "-t", help="Texts to check.")] = None,
    register: Annotated[Path | None, typer.Option(help="A register CSV: check every name and year.")] = None,
    style: Annotated[str, typer.Option(help="Style name or YAML path.")] = "memorial",
) -> None:
    """Check that the style's fonts draw every character (no tofu); exit 1 listing what is missing."""
    from streamkit.overlays import load_register, load_style, resolve_typeface

    chosen = load_style(style)
    texts = list(text or [])
    if register is not None:
        entries = load_register(register)
        texts += [e.name for e in entries] + [e.years for e in entries]
    if not texts:
        raise typer.BadParameter("give --text or --register", param_hint="--text")
    problems = []
    for spec in {chosen.fonts.text, chosen.fonts.names}:
        face = resolve_typeface(spec)
        missing = face.missing("".join(texts))
        if missing:
            problems.append(f"{face.family} ({spec.weight}) lacks " + " ".join(f"{c} U+{ord(c):04X}" for c in missing))
        else:
            out_console.print(
                f"{face.family} ({spec.weight}, {face.file.name}): every character has a glyph",
                markup=False,
                highlight=False,
            )
    if problems:
        raise StreamkitError("; ".join(problems))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8010,
    style: Annotated[str, typer.Option(help="Style name or YAML path.")] = "memorial",
) -> None:
    """Serve only the overlay pages (/overlays/<name>) for OBS browser sources, without the main site."""
    from werkzeug.serving import make_server

    from streamkit.overlays.web import create_overlay_app

    flask_app = create_overlay_app(style=style)
    server = make_server(host, port, flask_app, threaded=True)
    out_console.print(f"overlay pages on http://{host}:{port}/overlays/ (Ctrl-C stops)", markup=False, highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
