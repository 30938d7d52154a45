"""``streamkit obs``: launch and stop a headless OBS, apply scenes as code, show OBS status."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from streamkit.config.settings import Settings, load_settings
from streamkit.obs import launcher
from streamkit.obs.client import ObsClient, ObsConnection

app = typer.Typer(help="Run OBS headless and manage its scenes as code.", no_args_is_help=True)
out = Console(soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="Settings file (default config/streamkit.yaml).")]


def _settings(config: Path | None) -> Settings:
    return load_settings(config)


def connection(settings: Settings) -> ObsConnection:
    obs = settings.obs
    password = obs.password.get_secret_value() if obs.password else None
    return launcher.connection_for(obs.host, obs.port, password, obs.launch_dir)


@app.command()
def launch(
    folder: Annotated[Path | None, typer.Option(help="Private OBS folder (default obs.launch_dir).")] = None,
    port: Annotated[int | None, typer.Option(help="Websocket port; 0 picks a free one (default obs.port).")] = None,
    size: Annotated[str, typer.Option(help="Canvas WIDTHxHEIGHT.")] = "640x360",
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 30,
    config: ConfigOption = None,
) -> None:
    """Start Xvfb and OBS with a private config and the websocket on; return when it answers."""
    settings = _settings(config)
    width, _, height = size.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise typer.BadParameter(f"{size!r} is not WIDTHxHEIGHT", param_hint="--size")
    where = folder or settings.obs.launch_dir
    chosen = settings.obs.port if port is None else (port or None)
    state = launcher.launch(where, port=chosen, canvas=launcher.Canvas(int(width), int(height), fps))
    out.print(
        f"OBS is up (pid {state.obs_pid}, display {state.display}) on ws://127.0.0.1:{state.port}\n"
        f"password: {state.password_file} (mode 0600); streamkit commands read it from there, other tools can use\n"
        f'  STREAMKIT_OBS__PORT={state.port} STREAMKIT_OBS__PASSWORD="$(cat {state.password_file})"\n'
        f"recordings: {state.record_dir}; log: {state.log_file}; stop with: streamkit obs stop",
        markup=False,
        highlight=False,
    )


@app.command()
def stop(
    folder: Annotated[Path | None, typer.Option(help="Private OBS folder (default obs.launch_dir).")] = None,
    config: ConfigOption = None,
) -> None:
    """Stop the OBS (and its Xvfb) that ``obs launch`` started."""
    settings = _settings(config)
    stopped = launcher.stop(folder or settings.obs.launch_dir)
    out.print("OBS stopped" if stopped else "no OBS was running from that folder")


@app.command()
def status(config: ConfigOption = None) -> None:
    """Show OBS version, scenes, program scene and output states."""
    settings = _settings(config)

    async def read() -> None:
        async with ObsClient(connection(settings), heartbeat_s=0, reconnect=False) as client:
            s = client.state
            stats = await client.call("GetStats")
            out.print(f"OBS {s.obs_version}, obs-websocket {s.websocket_version}", markup=False)
            out.print(f"program: {s.program_scene}; scenes: {', '.join(s.scenes)}", markup=False)
            out.print(
                f"stream: {'on' if s.stream_active else 'off'}; record: {'on' if s.record_active else 'off'}; "
                f"{stats.get('activeFps', 0):.1f} fps; disk free {stats.get('availableDiskSpace', 0) / 1024:.1f} GB",
                markup=False,
            )

    asyncio.run(read())


@app.command()
def apply(
    paths: Annotated[list[Path], typer.Argument(help="Scene files or folders.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the first round of changes; send nothing.")] = False,
    config: ConfigOption = None,
) -> None:
    """Make OBS match the scene files: only the difference is sent, in batches; a second run changes nothing."""
    from streamkit.obs.apply import apply as apply_scenes
    from streamkit.obs.scenes import load_scenes

    settings = _settings(config)
    collection = load_scenes(paths)

    async def run() -> None:
        async with ObsClient(connection(settings), heartbeat_s=0, reconnect=False) as client:
            report = await apply_scenes(
                client,
                collection,
                media_root=settings.obs.media_root.resolve(),
                overlay_dir=settings.obs.overlay_dir.resolve(),
                dry_run=dry_run,
            )
        for number, requests in enumerate(report.rounds, 1):
            for request in requests:
                out.print(
                    f"{'would send' if dry_run else 'sent'} [{number}] {request.type} {_brief(request.data)}",
                    markup=False,
                    highlight=False,
                )
        if dry_run:
            out.print(
                f"dry run: {report.changes} change(s) in the first round; new items get their layout after",
                markup=False,
            )
        else:
            out.print(
                f"{report.changes} change(s) in {len(report.rounds)} batch(es)"
                if report.changes
                else "OBS already matches the scene files; nothing changed",
                markup=False,
            )

    asyncio.run(run())


def _brief(data: object) -> str:
    if not isinstance(data, dict):
        return ""
    keys = ("sceneName", "inputName", "sourceName", "sceneItemId")
    return " ".join(f"{k}={data[k]}" for k in keys if k in data)
