"""``streamkit overlay …``: render overlays for staff, check texts for missing glyphs, serve the browser pages."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streamkit.cli_common import FrameSize, default_note, out_console, settings_of, size_option
from streamkit.errors import StreamkitError

if TYPE_CHECKING:
    from streamkit.config.settings import Settings
    from streamkit.overlays.style import OverlayStyle
    from streamkit.overlays.video import OverlayClip

app = typer.Typer(help="Overlays: lower-thirds, slates, countdown, name roll.", no_args_is_help=True)
StyleOption = Annotated[
    str | None, typer.Option(help="Style name or YAML path. " + default_note("settings overlays.style"))
]


class Kind(StrEnum):
    lower_third = "lower-third"
    title_slate = "title"
    standby = "standby"
    countdown = "countdown"
    name_roll = "name-roll"


STILL_SUFFIXES = (".png",)


def _style(settings: Settings, name_or_path: str | None) -> OverlayStyle:
    """The style named on the command line, else the one in settings."""
    from streamkit.overlays import load_style

    overlays = settings.overlays
    return load_style(name_or_path or overlays.style, styles_dir=overlays.styles_dir)


@app.command()
def render(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="What to render.")],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="PNG for stills; .webm/.mov/.mp4 or a new folder (PNG sequence) for name roll and countdown.",
        ),
    ],
    text: Annotated[
        list[str] | None,
        typer.Option(
            "--text", "-t", help="Text lines: lower-third NAME [DETAIL]; title LINE…; standby MESSAGE; countdown TITLE."
        ),
    ] = None,
    seconds: Annotated[int, typer.Option(help="Countdown: seconds remaining.", min=0)] = 60,
    register: Annotated[
        Path | None, typer.Option(help="Name roll: the register CSV, or register:CEMETERY/SECTION from the store.")
    ] = None,
    size: Annotated[FrameSize, size_option("Frame size.")] = FrameSize(1920, 1080),
    style: StyleOption = None,
    vertical: Annotated[bool, typer.Option(help="Title: set the lines vertically, right to left.")] = False,
    fps: Annotated[int, typer.Option(help="Name roll: frames per second.", min=1, max=120)] = 25,  # countdown: 1
    speed: Annotated[
        float | None, typer.Option(help="Name roll: scroll speed in px/s. " + default_note("the style's"))
    ] = None,
    alpha: Annotated[bool, typer.Option(help="Videos and sequences: keep transparency (not for .mp4).")] = True,
    dry_run: Annotated[bool, typer.Option(help="Videos: print the ffmpeg command, render nothing.")] = False,
) -> None:
    """Render one overlay to a file (written atomically: nothing appears under OUTPUT on failure).

    Stills are PNG. The name roll and the countdown can also be a video (.webm VP9 with alpha, .mov ProRes 4444,
    .mp4 without alpha) or a PNG sequence (OUTPUT without a suffix names a new folder).
    """
    from streamkit.media.publish import atomic_output
    from streamkit.overlays import (
        CountdownClip,
        NameRoll,
        render_countdown,
        render_lower_third,
        render_standby_slate,
        render_title_slate,
    )
    from streamkit.overlays.register import load_roll

    frame = size.pair
    chosen = _style(settings_of(ctx), style)
    lines = [t for t in (text or []) if t.strip()]
    if kind is Kind.name_roll:
        if register is None:
            raise typer.BadParameter("the name roll needs a register CSV", param_hint="--register")
        roll = NameRoll(
            load_roll(register, settings_of(ctx).web.database_url),
            size=frame,
            fps=fps,
            speed_px_per_s=speed,
            style=chosen,
            title=lines[0] if lines else None,
        )
        _write_clip(roll, output, alpha=alpha, dry_run=dry_run)
        _report(
            output,
            f"name roll of {len(roll.entries)} names, {roll.duration_s:.2f} s at {roll.fps} fps, "
            f"{roll.speed_px_per_s:g} px/s",
            dry_run,
        )
        return
    if kind is Kind.countdown and output.suffix.lower() not in STILL_SUFFIXES:
        clip = CountdownClip(seconds, title=lines[0] if lines else "默哀", size=frame, style=chosen)
        _write_clip(clip, output, alpha=alpha, dry_run=dry_run)
        _report(output, f"countdown from {seconds} s, {clip.frame_count} frames at 1 fps", dry_run)
        return
    if output.suffix.lower() not in STILL_SUFFIXES:
        raise typer.BadParameter(
            f"{output}: a {kind.value} is a still image; name the output .png", param_hint="--output"
        )
    if kind is Kind.lower_third:
        if not lines:
            raise typer.BadParameter(
                "a lower-third needs --text NAME (and optionally --text DETAIL)", param_hint="--text"
            )
        image = render_lower_third(lines[0], " ".join(lines[1:]) or None, size=frame, style=chosen)
    elif kind is Kind.title_slate:
        if not lines:
            raise typer.BadParameter("a title slate needs at least one --text LINE", param_hint="--text")
        image = render_title_slate(lines, size=frame, style=chosen, vertical=vertical)
    elif kind is Kind.standby:
        image = render_standby_slate(" ".join(lines) or None, size=frame, style=chosen)
    else:
        image = render_countdown(seconds, title=lines[0] if lines else "默哀", size=frame, style=chosen)
    with atomic_output(output) as partial:
        image.save(partial, format="PNG")
    _report(output, f"{kind.value} {size}", False)


def _write_clip(clip: OverlayClip, output: Path, *, alpha: bool, dry_run: bool) -> None:
    from streamkit.overlays import publish_clip_frames, render_clip_video

    if output.suffix == "":
        if dry_run:
            raise typer.BadParameter(
                "only a video has an ffmpeg command to show; OUTPUT without a suffix is a PNG sequence",
                param_hint="--dry-run",
            )
        publish_clip_frames(clip, output, alpha=alpha)
    else:
        render_clip_video(clip, output, alpha=alpha, dry_run=dry_run)


def _report(output: Path, what: str, dry_run: bool) -> None:
    if not dry_run:
        out_console.print(f"{output}: {what}", markup=False, highlight=False)


@app.command()
def glyphs(
    ctx: typer.Context,
    text: Annotated[list[str] | None, typer.Option("--text", "-t", help="Texts to check.")] = None,
    register: Annotated[
        Path | None, typer.Option(help="A register CSV or register:CEMETERY/SECTION: check every name and year.")
    ] = None,
    style: StyleOption = None,
) -> None:
    """Check that the style's fonts draw every character (no tofu); exit 1 listing what is missing."""
    from streamkit.overlays import resolve_typeface
    from streamkit.overlays.register import load_roll

    chosen = _style(settings_of(ctx), style)
    texts = list(text or [])
    if register is not None:
        entries = load_roll(register, settings_of(ctx).web.database_url)
        texts += [e.name for e in entries] + [e.years for e in entries]
    if not texts:
        raise typer.BadParameter("give --text or --register to check", param_hint="--text")
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
def send(
    ctx: typer.Context,
    overlay: Annotated[str, typer.Argument(help="Page name: lower-third, title, standby, countdown.")],
    action: Annotated[str, typer.Argument(help="set, show, hide or countdown.")],
    text: Annotated[list[str] | None, typer.Option("--text", "-t", help="set: the text lines.")] = None,
    seconds: Annotated[int | None, typer.Option(help="countdown: seconds to count.")] = None,
    title: Annotated[str | None, typer.Option(help="countdown: the title above the digits.")] = None,
    url: Annotated[
        str | None, typer.Option(help="The site. " + default_note("http://<web.host>:<web.port> from settings"))
    ] = None,
) -> None:
    """Publish one event to the overlay pages of a running site (rehearsals, manual control)."""
    from streamkit.overlays.bus import parse_event
    from streamkit.overlays.client import OverlayClient

    settings = settings_of(ctx)
    event = parse_event(
        {"overlay": overlay, "action": action, "lines": tuple(text or ()), "seconds": seconds, "title": title}
    )
    base = url or f"http://{settings.web.host}:{settings.web.port}"
    delivered = OverlayClient(base, token=settings.overlays.publish_token).publish(event)
    out_console.print(f"{action} {overlay}: delivered to {delivered} page(s)", markup=False, highlight=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8010,
    style: StyleOption = None,
) -> None:
    """Serve only the overlay pages (/overlays/<name>) for OBS browser sources, without the main site."""
    from werkzeug.serving import make_server

    from streamkit.overlays.web import create_overlay_app

    settings = settings_of(ctx)
    token = settings.overlays.publish_token
    secret = token.get_secret_value() if token else None
    # with overlays.channel set (Redis, or the hub:// socket of a site on this machine), the site's events come too
    flask_app = create_overlay_app(style=_style(settings, style), token=secret, channel=settings.overlays.channel)
    server = make_server(host, port, flask_app, threaded=True)
    out_console.print(f"overlay pages on http://{host}:{port}/overlays/ (Ctrl-C stops)", markup=False, highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
