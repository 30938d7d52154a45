"""What every command group shares: the settings read once by the root callback, the frame size option, the two
consoles, and one way for help to name a default that comes from settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from streamkit.config.settings import Settings

if TYPE_CHECKING:
    from streamkit.archive.store import ArchiveStore

out_console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def default_note(default: str) -> str:
    """Help for a default typer cannot show (one taken from settings, say), in the ``[default: …]`` form of its own."""
    return rf"\[default: {default}]"  # escaped: rich takes an unescaped [...] for markup and drops it


DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL. " + default_note("settings web.database_url"))
]


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback read (defaults < config file < STREAMKIT_* environment)."""
    settings = ctx.find_object(Settings)
    if settings is None:
        raise RuntimeError("settings are read by the root callback: run area commands through streamkit.cli")
    return settings


def open_archive(settings: Settings, database_url: str | None = None, media_dir: Path | None = None) -> ArchiveStore:
    """The archive store of the settings' web section; arguments given on the command line win."""
    # imported here so that `streamkit --help` and other areas' commands do not pay for SQLAlchemy
    from streamkit.archive.store import open_store

    return open_store(settings.web, database_url=database_url, media_dir=media_dir)


@dataclass(frozen=True)
class FrameSize:
    """A picture size in pixels, written WIDTHxHEIGHT on the command line (and so shown as a default in help)."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def pair(self) -> tuple[int, int]:
        return self.width, self.height


def parse_frame_size(value: str | FrameSize, *, minimum: int = 16, even: bool = False) -> FrameSize:
    """WIDTHxHEIGHT as a FrameSize; anything else is a usage error (exit 2) naming ``--size``."""
    if isinstance(value, FrameSize):  # the declared default, passed through the parser too
        return value
    width, sep, height = value.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise typer.BadParameter(f"{value!r} is not WIDTHxHEIGHT (for example 1920x1080)", param_hint="--size")
    size = FrameSize(int(width), int(height))
    if min(size.pair) < minimum:
        raise typer.BadParameter(f"{size} is smaller than {minimum}x{minimum}", param_hint="--size")
    if even and (size.width % 2 or size.height % 2):
        raise typer.BadParameter(f"{size}: width and height must be even", param_hint="--size")
    return size


def size_option(help: str, *, minimum: int = 16, even: bool = False) -> Any:
    """The ``--size WIDTHxHEIGHT`` option; declare the parameter as ``Annotated[FrameSize, size_option(…)]``."""

    def parse(value: str | FrameSize) -> FrameSize:
        return parse_frame_size(value, minimum=minimum, even=even)

    return typer.Option("--size", help=help, parser=parse, metavar="WIDTHxHEIGHT")
