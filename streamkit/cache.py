"""Where streamkit keeps what it can rebuild (prepared stills, pre-rendered effect stops): XDG's cache folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``$XDG_CACHE_HOME/streamkit/<kind>`` (``~/.cache`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "streamkit" / kind
