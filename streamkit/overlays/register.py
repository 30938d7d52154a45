"""The register of the fallen (英名录) for name rolls: a CSV read once into frozen entries, every bad row reported
together, or the public records of the register in the store (``register:CEMETERY/SECTION``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator

from streamkit.config.loader import SpecModel, format_loc
from streamkit.errors import ConfigError, ConfigProblem
from streamkit.register import ROLL_PREFIX

COLUMNS = ("name", "born", "died", "unit", "hometown", "section", "row", "number", "photo")
REQUIRED = ("name",)


class RegisterEntry(SpecModel):
    """One person in the register. Only the name is required; years are whole years when known."""

    name: Annotated[str, Field(min_length=1)]
    born: int | None = None
    died: int | None = None
    unit: str = ""
    hometown: str = ""
    section: str = ""
    row: str = ""
    number: str = ""
    photo: str = ""

    @field_validator("born", "died", mode="before")
    @classmethod
    def _blank_year(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def years(self) -> str:
        """``1922–1949``; ``?`` stands for an unknown year; empty when both are unknown."""
        if self.born is None and self.died is None:
            return ""
        return f"{self.born or '?'}–{self.died or '?'}"


def load_register(csv_path: Path) -> tuple[RegisterEntry, ...]:
    """Read the register CSV (UTF-8, a BOM from Excel is fine); raise ConfigError listing every bad row."""
    if str(csv_path).startswith(ROLL_PREFIX):
        raise ConfigError.single(csv_path, "a register in the store is read where its database is known: load_roll")
    csv_path = Path(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError.single(csv_path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.single(csv_path, f"cannot read as UTF-8 text: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ConfigError.single(
            csv_path, f"missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}", line=1
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ConfigError.single(
            csv_path, f"unknown column(s) {', '.join(unknown)}; expected {','.join(COLUMNS)}", line=1
        )
    entries: list[RegisterEntry] = []
    problems: list[ConfigProblem] = []
    for raw in reader:
        line = reader.line_num
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        try:
            entries.append(RegisterEntry.model_validate(row))
        except ValidationError as exc:
            problems.extend(
                ConfigProblem(str(csv_path), line, format_loc(err["loc"]), str(err["msg"]).lower())
                for err in exc.errors()
            )
    if problems:
        raise ConfigError(problems)
    if not entries:
        raise ConfigError.single(csv_path, "the register has no entries")
    return tuple(entries)


def load_roll(source: Path | str, database_url: str | None) -> tuple[RegisterEntry, ...]:
    """A name roll's register: a CSV path, or ``register:CEMETERY/SECTION`` read from the store at ``database_url``."""
    if not str(source).startswith(ROLL_PREFIX):
        return load_register(Path(source))
    if not database_url:
        raise ConfigError.single(str(source), "reading the register needs a database (settings web.database_url)")
    return load_register_from_store(str(source), database_url)


def load_register_from_store(source: str, database_url: str) -> tuple[RegisterEntry, ...]:
    """The public records of ``register:CEMETERY/SECTION`` in the store at ``database_url``, in tomb order."""
    # Imported here: only rolls read from the store pay for SQLAlchemy, not every overlay command.
    from streamkit.archive.store import ArchiveStore
    from streamkit.register.roll import roll_names, roll_selection

    selection = roll_selection(source)
    assert selection is not None  # the caller checked the prefix
    store = ArchiveStore(database_url)
    try:
        names = roll_names(store, selection)
    finally:
        store.dispose()
    if not names:
        raise ConfigError.single(source, "the register has no public records there")
    return tuple(
        RegisterEntry(
            name=n.name,
            born=n.born,
            died=n.died,
            unit=n.unit,
            hometown=n.native_place,
            section=n.section,
            row=n.row,
            number=n.number,
        )
        for n in names
    )
