"""``streamkit participation``: erase personal data past its retention, make and rotate the sealing keys, and
export or erase one family's data across all its requests and claims."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from streamkit.cli_common import DbOption, err_console, open_archive, out_console, settings_of
from streamkit.config.settings import Settings
from streamkit.errors import ArchiveError

if TYPE_CHECKING:
    from streamkit.archive.store import ArchiveStore
    from streamkit.participation.family_data import FamilyQuery, FamilyRecords
    from streamkit.participation.sealed import Sealer

T = TypeVar("T")

app = typer.Typer(
    help="Public participation: families' personal data (retention, keys, one family's export and erase).",
    no_args_is_help=True,
)


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


NOTHING_FOUND = "no proxy sweeping request or relatives' claim holds that number (erased ones hold none)"
PhoneOption = Annotated[
    str, typer.Option("--phone", help="The family's mobile number as given (+86, spaces allowed); - reads stdin.")
]
NameOption = Annotated[str, typer.Option("--name", help="Only records under this name too (a phone shared by two).")]


def _family(settings: Settings, phone: str, name: str) -> tuple[FamilyQuery, Sealer]:
    """The query and the sealer, checked before the database is opened: a bad number, then a missing key."""
    from streamkit.participation.family_data import family_query
    from streamkit.participation.sealed import Sealer

    query = family_query(sys.stdin.readline() if phone == "-" else phone, name)
    return query, Sealer(settings.participation.data_keys)


def _on_family(
    ctx: typer.Context, phone: str, name: str, db: str | None, action: Callable[[ArchiveStore, Sealer, FamilyQuery], T]
) -> T:
    """Run ``action`` on the archive for one family's number, checked (number, then key) before it is opened."""
    settings = settings_of(ctx)
    query, sealer = _family(settings, phone, name)
    store = open_archive(settings, db)
    try:
        return action(store, sealer, query)
    finally:
        store.dispose()


def _listing(found: FamilyRecords) -> None:
    for record in found.records:
        closed = f" closed {record.closed_at:%Y-%m-%d}" if record.closed_at else ""
        line = f"{record.kind} {record.number}: martyr {record.martyr_id} {record.martyr_name}, {record.status}, "
        out_console.print(f"{line}created {record.created_at:%Y-%m-%d}{closed}", markup=False, highlight=False)


@app.command("export-family")
def export_family_command(
    ctx: typer.Context,
    phone: PhoneOption,
    name: NameOption = "",
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here (mode 600), not to stdout.")] = None,
    db: DbOption = None,
) -> None:
    """Export everything kept about one family's proxy sweeping requests and relatives' claims, as one JSON."""
    from streamkit.participation.family_data import export_family

    export = _on_family(
        ctx, phone, name, db, lambda store, sealer, query: export_family(store, sealer, query, actor="cli")
    )
    if not export.found.records:
        raise ArchiveError(NOTHING_FOUND + _unreadable(export.found))
    text = json.dumps(export.data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    write_private(out, text)
    err_console.print(f"exported {export.found.summary()} to {out}", markup=False, highlight=False)


@app.command("erase-family")
def erase_family_command(
    ctx: typer.Context,
    phone: PhoneOption,
    name: NameOption = "",
    yes: Annotated[bool, typer.Option("--yes", help="Erase for good; without it, list what would be erased.")] = False,
    db: DbOption = None,
) -> None:
    """Erase the personal data of every proxy sweeping request and relatives' claim holding one family's number."""
    from streamkit.participation.family_data import erase_family, find_family

    def erase_or_find(store: ArchiveStore, sealer: Sealer, query: FamilyQuery) -> FamilyRecords:
        return erase_family(store, sealer, query, actor="cli") if yes else find_family(store, sealer, query)

    found = _on_family(ctx, phone, name, db, erase_or_find)
    if not found.records:
        raise ArchiveError(NOTHING_FOUND + _unreadable(found))
    _listing(found)
    if not yes:
        raise ArchiveError(f"nothing erased: {found.summary()} hold that number; run again with --yes to erase them")
    out_console.print(f"erased the personal data of {found.summary()}", markup=False, highlight=False)


def _unreadable(found: FamilyRecords) -> str:
    return f"; {found.unreadable} records could not be opened with the keys" if found.unreadable else ""


def write_private(target: Path, text: str) -> None:
    """Write a file only its owner can read, atomically: a partial file beside it, checked, then moved in place."""
    from streamkit.media.publish import atomic_output

    with atomic_output(target, verify=lambda p: json.loads(p.read_text(encoding="utf-8"))) as partial:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
