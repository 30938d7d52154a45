"""``streamkit farm worker|status|cancel``: run a render-farm worker, see the renders on the farm, stop one."""

from __future__ import annotations

from typing import Annotated

import typer

from streamkit.cli_common import out_console, settings_of

app = typer.Typer(help="The render farm: workers for 'tour render --farm', its renders, cancelling one.")


@app.command("worker")
def worker(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="The worker's name in 'farm status'.")] = None,
) -> None:
    """Run a worker: the steps of farm renders, one at a time, until stopped (Ctrl-C or SIGTERM)."""
    from streamkit.farm.queue import work

    work(settings_of(ctx).farm, name)


@app.command("status")
def status(
    ctx: typer.Context,
    render_id: Annotated[str | None, typer.Argument(help="One render; all of them when left out.")] = None,
) -> None:
    """Each render on the farm: its state, then each step's state, progress, worker and attempts."""
    from streamkit.farm.queue import connect, render_ids, render_state

    connection = connect(settings_of(ctx).farm)
    for one in [render_id] if render_id else render_ids(connection):
        state = render_state(connection, one)
        record = state.record
        skipped = f", {record.skipped} chunks finished before" if record.skipped else ""
        out_console.print(f"{record.id} {state.status}: {record.spec} -> {record.output}{skipped}", markup=False)
        for step in state.steps:
            line = f"  {step.job} {step.status} {step.progress:4.0%} attempts {step.attempts} {step.worker}".rstrip()
            out_console.print(line + (f": {step.error}" if step.error else ""), markup=False)


@app.command("cancel")
def cancel(ctx: typer.Context, render_id: Annotated[str, typer.Argument(help="The render to stop.")]) -> None:
    """Stop the render's running steps and drop its waiting ones; finished chunks stay for a re-run.

    Returns once the steps' processes have ended and the render's partial files are removed.
    """
    from streamkit.farm.queue import cancel as cancel_render
    from streamkit.farm.queue import connect

    state = cancel_render(connect(settings_of(ctx).farm), render_id)
    out_console.print(f"{render_id} cancelled ({state.status})", markup=False)
