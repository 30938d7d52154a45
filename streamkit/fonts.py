"""Find fonts through fontconfig; a CJK font is required for every caption and overlay."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from streamkit.media.runner import run_tool

APT_CJK_FONTS = "apt-get install fonts-noto-cjk"
DEFAULT_CJK_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True)
class FontMatch:
    family: str
    file: Path
    index: int  # face index inside a .ttc collection


@cache
def find_font(family: str = DEFAULT_CJK_FAMILY, *, lang: str = "zh-cn") -> FontMatch | None:
    """The font fontconfig picks for ``family`` that covers ``lang``; None if no such font is installed."""
    try:
        done = run_tool(["fc-match", "-f", "%{family[0]}\n%{file}\n%{index}\n", f"{family}:lang={lang}"], timeout_s=10)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if done.returncode != 0 or len(lines) < 3 or not lines[1]:
        return None
    match = FontMatch(lines[0], Path(lines[1]), int(lines[2] or 0))
    if not _covers(match.file, lang):
        return None
    return match


def _covers(file: Path, lang: str) -> bool:
    """fontconfig falls back to any font when none fits; check the chosen file really covers ``lang``."""
    try:
        done = run_tool(["fc-list", f":lang={lang}", "file"], timeout_s=10)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    files = {line.split(":")[0].strip() for line in done.stdout.decode("utf-8", "replace").splitlines()}
    return str(file) in files


def find_cjk_font(family: str = DEFAULT_CJK_FAMILY) -> FontMatch | None:
    return find_font(family, lang="zh-cn")
