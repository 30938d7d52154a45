"""The farm's shared work folder: finished chunks named by the command that made them, and each render's scratch.

A chunk's name is the hash of its ffmpeg command (argv and filter scripts, with the render's own scratch folder
taken out) and of every file the command names, so a render of the same spec finds the chunks an earlier one
finished (or left behind when it was cancelled or crashed) and skips them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streamkit.media.commands import FFmpegCommand

HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class WorkFolder:
    """``chunks/``: finished chunks and their poster candidates; ``renders/ID/``: one render's scratch files."""

    root: Path

    @property
    def chunks(self) -> Path:
        return self.root / "chunks"

    def chunk(self, key: str) -> Path:
        return self.chunks / f"{key}.mp4"

    def chunk_poster(self, key: str, number: int) -> Path:
        return self.chunks / f"{key}-{number:02d}.bmp"

    def chunk_posters(self, key: str) -> list[Path]:
        return sorted(self.chunks.glob(f"{key}-*.bmp"))

    def render(self, render_id: str) -> Path:
        return self.root / "renders" / render_id


def file_checksum(path: Path) -> str:
    """The SHA-256 of ``path`` (a submission remembers them: a long clip is named by many chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def chunk_key(command: FFmpegCommand, work: Path, checksum: Callable[[Path], str] = file_checksum) -> str:
    """The identity of a chunk: its command, scratch folder ``work`` left out, and the checksums of the files it
    reads (inputs named in argv, and the scratch files its graph names)."""
    texts = [*command.argv, *(script.text for script in command.scripts)]
    named = {Path(token) for token in command.argv if _is_file(token) and not _under(Path(token), work)}
    everything = "\n".join(texts)
    named |= {path for path in _files(work) if str(path.relative_to(work)) in everything}
    digest = hashlib.sha256()
    digest.update(json.dumps([text.replace(str(work), "{work}") for text in texts]).encode())
    for path in sorted(named):
        digest.update(str(path).replace(str(work), "{work}").encode() + b"\0" + checksum(path).encode())
    return digest.hexdigest()[:32]


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []


def _is_file(token: str) -> bool:
    try:
        return Path(token).is_file()
    except OSError:  # a filter graph given inline is no file name (and may be too long for one)
        return False


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
