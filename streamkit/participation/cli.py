"""``streamkit participation``: erase personal data past its retention, make and rotate the sealing keys."""

from __future__ import annotations

import typer

from streamkit.cli_common import DbOption, open_archive, out_console, settings_of

app = typer.Typer(help="Public participation: families' personal data (retention, keys).", no_args_is_help=True)


@app.command("purge")
def purge_command(ctx: typer.Context, db: DbOption = None) -> None:
    """Erase the contact data of requests and claims closed longer ago than participation.retention_days."""
    from streamkit.participation.retention import purge

    settings = settings_of(ctx)
    store = open_archive(settings, db)
    try:
        report = purge(store, settings.participation.retention_days)
    finally:
        store.dispose()
    out_console.print(report.summary(), markup=False, highlight=False)


@app.command("new-key")
def new_key_command() -> None:
    """Print a new key for participation.data_keys (put it first in the list to rotate, then run reseal)."""
    from streamkit.participation.sealed import new_key

    out_console.print(new_key(), markup=False, highlight=False)


@app.command("reseal")
def reseal_command(ctx: typer.Context, db: DbOption = None) -> None:
    """Seal all stored personal data again under the first key, so older keys can be removed."""
    from streamkit.participation.retention import reseal_all
    from streamkit.participation.sealed import Sealer

    settings = settings_of(ctx)
    sealer = Sealer(settings.participation.data_keys)
    store = open_archive(settings, db)
    try:
        count = reseal_all(store, sealer)
    finally:
        store.dispose()
    out_console.print(f"resealed {count} records under the first key", markup=False, highlight=False)
