"""``streamkit register``: import a register file, search it, export it; the tomb photo survey."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from streamkit.cli_common import DbOption, default_note, err_console, open_archive, out_console, settings_of
from streamkit.register.photo_checks import PhotoChecks

if TYPE_CHECKING:
    from streamkit.register.importer import Change

app = typer.Typer(help="The register of the fallen (英名录): import, search, export.", no_args_is_help=True)

# The options default to None so that PhotoChecks stays the one place the thresholds are set; the help shows them.
_CHECKS = {name: default_note(str(f.default)) for name, f in PhotoChecks.model_fields.items()}


def _say(text: str, *, error: bool = False) -> None:
    (err_console if error else out_console).print(text, markup=False, highlight=False)


def _print_change(change: Change) -> None:
    mark = "+" if change.kind == "added" else "~"
    fields = f" ({', '.join(change.fields)})" if change.fields else ""
    _say(f"{mark} row {change.row}: {change.name} [{change.key}]{fields}")


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Register as CSV (UTF-8 or GB18030) or XLSX, with a header row.")],
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="HEADER=FIELD for a column the header does not name; - skips.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="CSV encoding. " + default_note("UTF-8 or GB18030, detected"))
    ] = None,
    cemetery: Annotated[str, typer.Option(help="Cemetery for rows that give a tomb position without one.")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added and changed; write nothing.")
    ] = False,
    keep_good_rows: Annotated[
        bool, typer.Option("--keep-good-rows", help="Import the good rows of a file with bad ones (exit 1 still).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Import or update records; a re-import of the same file changes nothing. Bad rows are listed all at once."""
    from streamkit.register.columns import parse_mapping
    from streamkit.register.importer import import_register

    try:
        mapping = parse_mapping(map_ or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--map") from None
    report = import_register(
        open_archive(settings_of(ctx), db),
        file,
        mapping=mapping,
        encoding=encoding,
        default_cemetery=cemetery,
        keep_good_rows=keep_good_rows,
        dry_run=dry_run,
        on_change=_print_change if dry_run else None,
    )
    for problem in report.problems:
        _say(f"skipped {problem}", error=True)
    _say(("dry run: " if dry_run else "") + report.summary())
    if report.problems:
        raise typer.Exit(1)


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Name in characters or pinyin, or initials (wzg).")] = "",
    place: Annotated[str, typer.Option(help="Native place (籍贯) or place of death.")] = "",
    unit: Annotated[str, typer.Option(help="Unit or post.")] = "",
    died_in: Annotated[int | None, typer.Option(help="Year of death (partial dates that allow it count).")] = None,
    cemetery: Annotated[str, typer.Option(help="Cemetery, exactly.")] = "",
    section: Annotated[str, typer.Option(help="Cemetery section (墓区).")] = "",
    hidden: Annotated[bool, typer.Option("--hidden", help="Include records hidden from the public.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    db: DbOption = None,
) -> None:
    """Find records; prints number, name, sex, native place, dates, unit and tomb (never private fields)."""
    from streamkit.register.public import public_fields
    from streamkit.register.record import tomb_label
    from streamkit.register.search import RegisterQuery, search

    found = search(
        open_archive(settings_of(ctx), db),
        RegisterQuery(query, place, unit, died_in, cemetery, section, include_hidden=hidden, limit=limit),
    )
    for martyr in found:
        shown = public_fields(martyr, even_hidden=True)
        tomb = " ".join(filter(None, (shown["cemetery"], tomb_label(shown["section"], shown["row"], shown["number"]))))
        dates = f"{shown['born'] or '?'}–{shown['died'] or '?'}"
        line = [f"#{martyr.id}", shown["name"], shown["sex"], shown["native_place"], dates, shown["unit"], tomb]
        _say("\t".join(line) + ("\t[hidden]" if martyr.hidden else ""))
    _say(f"{len(found)} found")


@app.command("export")
def export_command(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="Output .csv (UTF-8 with BOM) or .xlsx; written atomically.")],
    public: Annotated[
        bool, typer.Option("--public", help="Only what the public may see: no hidden records, no private fields.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Export the register; the full export re-imports without changes."""
    from streamkit.register.export import export_register

    count = export_register(open_archive(settings_of(ctx), db), target, public=public)
    _say(f"{count} records written to {target}")


@app.command("photos")
def photos_command(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="Folder of tomb photos (A-03-12.jpg, 王志国.jpg), searched at any depth.")
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="CSV of photo file name, record (register id, tomb position or name).")
    ] = None,
    cemetery: Annotated[str, typer.Option(help="Match only records of this cemetery.")] = "",
    min_sharpness: Annotated[
        float | None,
        typer.Option(help="Laplacian variance below which a photo is blurred. " + _CHECKS["min_sharpness"]),
    ] = None,
    max_clipped: Annotated[
        float | None, typer.Option(help="Share of black or white pixels that is too many. " + _CHECKS["max_clipped"])
    ] = None,
    min_side: Annotated[
        int | None, typer.Option(help="Shorter side in pixels below which a photo is too small. " + _CHECKS["min_side"])
    ] = None,
    duplicate_distance: Annotated[
        int | None, typer.Option(help="dHash bits near-duplicates may differ by. " + _CHECKS["duplicate_distance"])
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="Processes checking photos.")] = 1,
    db: DbOption = None,
) -> None:
    """Match photos to records and check their quality; ambiguous and unmatched photos are listed, never guessed."""
    from streamkit.register.photos import describe_candidates, survey_photos

    given = {"min_sharpness": min_sharpness, "max_clipped": max_clipped, "min_side": min_side}
    given["duplicate_distance"] = duplicate_distance
    try:
        checks = PhotoChecks(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise typer.BadParameter(first["msg"], param_hint=f"--{str(first['loc'][0]).replace('_', '-')}") from None
    store = open_archive(settings_of(ctx), db)
    report = survey_photos(store, folder, mapping_file=mapping, cemetery=cemetery, checks=checks, jobs=jobs)
    for photo in report.photos:
        if photo.match.match == "ambiguous":
            _say(f"{photo.name}: ambiguous: {describe_candidates(store, photo.match.candidates)}")
        elif photo.match.match == "unmatched":
            _say(f"{photo.name}: unmatched")
        if photo.problems:
            _say(f"{photo.name}: {', '.join(photo.problems)}")
    _say(report.summary())


@app.command("coverage")
def coverage_command(
    ctx: typer.Context,
    xlsx: Annotated[Path | None, typer.Option(help="Also write the report as XLSX (atomically).")] = None,
    cemetery: Annotated[str, typer.Option(help="Only this cemetery.")] = "",
    db: DbOption = None,
) -> None:
    """Tombs with a good photo, a poor one (why) or none, per cemetery and section; records and photos left over."""
    from streamkit.register.coverage import coverage, coverage_lines, write_coverage_xlsx

    found = coverage(open_archive(settings_of(ctx), db), cemetery)
    for line in coverage_lines(found):
        _say(line)
    if xlsx is not None:
        write_coverage_xlsx(found, xlsx)
        _say(f"written to {xlsx}")


@app.command("package")
def package_command(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="The ZIP to write (atomically).")],
    district: Annotated[str, typer.Option(help="District (区县) the photos are named with.")],
    cemetery: Annotated[str, typer.Option(help="Only this cemetery.")] = "",
    db: DbOption = None,
) -> None:
    """The bureau's package: each record's best photo renamed district_cemetery_tomb_name, with an XLSX index."""
    from streamkit.register.package import write_package

    if target.suffix.lower() != ".zip":
        raise typer.BadParameter(f"the package is a .zip, not {target.suffix!r}", param_hint="TARGET")
    count = write_package(open_archive(settings_of(ctx), db), target, district, cemetery)
    _say(f"{count} photos written to {target}")
