"""Where streamkit keeps what it can rebuild (prepared stills, pre-rendered effect stops): XDG's cache folder."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``$XDG_CACHE_HOME/streamkit/<kind>`` (``~/.cache`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "streamkit" / kind


UNUSED_DAYS = 30.0  # a cache entry nothing has used for this long is deleted


def mark_used(path: Path) -> None:
    """Refresh a cache entry's modification time: ``prune`` keeps what was used lately."""
    with contextlib.suppress(OSError):  # gone or read-only: the entry is rebuilt, or kept as it is
        os.utime(path)


def prune(folder: Path, unused_days: float = UNUSED_DAYS, now: float | None = None) -> int:
    """Delete the files of ``folder`` not used for ``unused_days`` (their time is refreshed on each use); returns
    how many went. Without this the caches only grow: every photo of every tour at every size stays forever."""
    if not folder.is_dir():
        return 0
    limit = (time.time() if now is None else now) - unused_days * 86400
    removed = 0
    for entry in folder.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                entry.unlink()
                removed += 1
        except OSError:
            continue  # another render is using or replacing it
    return removed
