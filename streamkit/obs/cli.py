"""``streamkit obs``: launch and stop a headless OBS, apply scenes as code, show OBS status."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from streamkit.cli_common import FrameSize, default_note, out_console, settings_of, size_option
from streamkit.config.settings import Settings
from streamkit.obs import launcher
from streamkit.obs.client import ObsClient, ObsConnection

app = typer.Typer(help="Run OBS headless and manage its scenes as code.", no_args_is_help=True)
FolderOption = Annotated[
    Path | None, typer.Option(help="Private OBS folder. " + default_note("settings obs.launch_dir"))
]


def connection(settings: Settings) -> ObsConnection:
    obs = settings.obs
    password = obs.password.get_secret_value() if obs.password else None
    return launcher.connection_for(obs.host, obs.port, password, obs.launch_dir)


@app.command()
def launch(
    ctx: typer.Context,
    folder: FolderOption = None,
    port: Annotated[
        int | None, typer.Option(help="Websocket port; 0 picks a free one. " + default_note("settings obs.port"))
    ] = None,
    size: Annotated[FrameSize, size_option("Canvas size.")] = FrameSize(640, 360),
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 30,
) -> None:
    """Start Xvfb and OBS with a private config and the websocket on; return when it answers."""
    settings = settings_of(ctx)
    where = folder or settings.obs.launch_dir
    chosen = settings.obs.port if port is None else (port or None)
    state = launcher.launch(where, port=chosen, canvas=launcher.Canvas(size.width, size.height, fps))
    out_console.print(
        f"OBS is up (pid {state.obs_pid}, display {state.display}) on ws://127.0.0.1:{state.port}\n"
        f"password: {state.password_file} (mode 0600); streamkit commands read it from there, other tools can use\n"
        f'  STREAMKIT_OBS__PORT={state.port} STREAMKIT_OBS__PASSWORD="$(cat {state.password_file})"\n'
        f"recordings: {state.record_dir}; log: {state.log_file}; stop with: streamkit obs stop",
        markup=False,
        highlight=False,
    )


@app.command()
def stop(ctx: typer.Context, folder: FolderOption = None) -> None:
    """Stop the OBS (and its Xvfb) that ``obs launch`` started."""
    stopped = launcher.stop(folder or settings_of(ctx).obs.launch_dir)
    out_console.print("OBS stopped" if stopped else "no OBS was running from that folder")


@app.command()
def status(ctx: typer.Context) -> None:
    """Show OBS version, scenes, program scene and output states."""
    settings = settings_of(ctx)

    async def read() -> None:
        async with ObsClient(connection(settings), heartbeat_s=0, reconnect=False) as client:
            s = client.state
            stats = await client.call("GetStats")
            out_console.print(f"OBS {s.obs_version}, obs-websocket {s.websocket_version}", markup=False)
            out_console.print(f"program: {s.program_scene}; scenes: {', '.join(s.scenes)}", markup=False)
            out_console.print(
                f"stream: {'on' if s.stream_active else 'off'}; record: {'on' if s.record_active else 'off'}; "
                f"{stats.get('activeFps', 0):.1f} fps; disk free {stats.get('availableDiskSpace', 0) / 1024:.1f} GB",
                markup=False,
            )

    asyncio.run(read())


@app.command()
def apply(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Scene files or folders.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the first round of changes; send nothing.")] = False,
) -> None:
    """Make OBS match the scene files: only the difference is sent, in batches; a second run changes nothing."""
    from streamkit.obs.apply import apply as apply_scenes
    from streamkit.obs.scenes import load_scenes

    settings = settings_of(ctx)
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
                out_console.print(
                    f"{'would send' if dry_run else 'sent'} [{number}] {request.type} {_brief(request.data)}",
                    markup=False,
                    highlight=False,
                )
        if dry_run:
            out_console.print(
                f"dry run: {report.changes} change(s) in the first round; new items get their layout after",
                markup=False,
            )
        else:
            out_console.print(
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
