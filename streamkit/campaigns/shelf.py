"""The campaign specs the public pages read: parsed once, read again only when a file of the folder changes.

The dashboard reads its spec on every request, so staff see a broken file's problems at once. The public pages ask
every couple of seconds per page open, so they keep the parsed specs and look only at the files' sizes and times.
A spec that does not read is left out here (the public pages show no campaign rather than an error page); the
dashboard names its problems.
"""

from __future__ import annotations

import threading
from pathlib import Path

from streamkit.campaigns.spec import Campaign, campaign_files, find_campaign
from streamkit.errors import ConfigError

Stamp = tuple[tuple[str, int, int], ...]  # (slug, size, modification time in ns) of each file


class CampaignShelf:
    """The campaigns of one folder, as the public pages see them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._campaigns: tuple[Campaign, ...] = ()

    def campaigns(self) -> tuple[Campaign, ...]:
        """Every campaign whose spec reads, in file name order."""
        files = campaign_files(self.folder)
        stamp = tuple(_stamp(slug, path) for slug, path in files.items())
        with self._lock:
            if stamp != self._stamp:
                read = (_read(slug, self.folder) for slug in files)
                self._campaigns = tuple(campaign for campaign in read if campaign is not None)
                self._stamp = stamp
            return self._campaigns


def _stamp(slug: str, path: Path) -> tuple[str, int, int]:
    try:
        found = path.stat()
    except OSError:  # removed since the folder was listed: read again next time
        return slug, -1, -1
    return slug, found.st_size, found.st_mtime_ns


def _read(slug: str, folder: Path) -> Campaign | None:
    try:
        return find_campaign(slug, folder)
    except (ConfigError, OSError):
        return None
