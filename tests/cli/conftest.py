"""Helpers for the command-line tests: settings files and media tools that record their calls."""

from __future__ import annotations

import shutil
from pathlib import Path


def write_config(folder: Path, text: str) -> Path:
    """A settings file (``version: 1`` plus ``text``) in ``folder``."""
    path = folder / "streamkit.yaml"
    path.write_text("version: 1\n" + text, encoding="utf-8")
    return path


def recording_tool(folder: Path, tool: str) -> tuple[Path, Path]:
    """A stand-in for ``tool`` that logs its arguments, then runs the real one: (the script, its log)."""
    real = shutil.which(tool)
    assert real is not None, f"{tool} is needed on PATH"
    script, log = folder / f"recorded-{tool}", folder / f"{tool}-calls.log"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script, log


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []
