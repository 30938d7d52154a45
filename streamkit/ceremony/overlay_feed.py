"""The pictures a ceremony shows through OBS image sources: stills at the start, lower-thirds and the countdown live.

Live text goes through images because OBS's FreeType text source drops CJK glyphs when its text is updated on Linux
(obs-studio#11819). The overlays area owns the look (typeface, glyph check, register reader); this module decides
what is shown when, writes each picture atomically (OBS may read the file while it is written) and points sources at
it.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from streamkit import overlays
from streamkit.ceremony.rundown import Rundown, Segment
from streamkit.errors import ObsError, StreamkitError
from streamkit.media.publish import atomic_output
from streamkit.obs import requests
from streamkit.obs.client import ObsClient
from streamkit.obs.scenes import OWNER_KEY, overlay_of
from streamkit.overlays.register import load_roll
from streamkit.register import ROLL_PREFIX

Size = tuple[int, int]
FILES_PER_OVERLAY = 4  # a new file name per update makes OBS reload at once; a few names in rotation suffice


def write_png(image: Image.Image, target: Path) -> Path:
    """Write ``image`` to ``target`` atomically; return the absolute path OBS should read."""
    with atomic_output(target) as partial:
        image.save(partial, format="PNG")
    return target.resolve()


def name_roll_page(entries: Sequence[overlays.RegisterEntry], size: Size) -> Image.Image:
    """The 英名录 scene's still: the name roll stopped where its title sits at the top of the safe area."""
    roll = overlays.NameRoll(entries, size=size, edge_fade=False)
    travel = size[1] - roll.geometry.safe.top
    return roll.frame(min(roll.frame_count - 1, math.ceil(travel * roll.fps / roll.speed_px_per_s)))


def roll_entries(name_roll: Path, media_root: Path, database_url: str | None) -> Sequence[overlays.RegisterEntry]:
    """The name roll's people: a register CSV (relative to ``media_root``) or ``register:CEMETERY/SECTION`` in the
    store at ``database_url``."""
    if str(name_roll).startswith(ROLL_PREFIX):
        return load_roll(name_roll, database_url)
    return overlays.load_register(name_roll if name_roll.is_absolute() else media_root / name_roll)


class OverlayFeed:
    """Draws the ceremony's pictures into ``folder`` and shows them in OBS image sources."""

    def __init__(self, client: ObsClient, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self.canvas: Size = (640, 360)  # read from OBS by prepare()
        self._sequence = itertools.count(1)
        self._countdown_shown: int | None = None

    async def prepare(self, rundown: Rundown, media_root: Path, database_url: str | None = None) -> None:
        """Render the stills (standby slate, name roll, empty lower-third and countdown) and show them in OBS."""
        with contextlib.suppress(ObsError):
            video = await self.client.send(requests.get_video_settings())
            self.canvas = (int(video["baseWidth"]), int(video["baseHeight"]))
        stills: dict[str, Image.Image] = {"standby": overlays.render_standby_slate(size=self.canvas)}
        if rundown.name_roll is not None:
            entries = roll_entries(rundown.name_roll, media_root, database_url)
            stills["name-roll"] = name_roll_page(entries, self.canvas)
        overlays.render_lower_third("预备", None, size=self.canvas)  # loads the typeface now, not during the first cue
        empty = Image.new("RGBA", self.canvas, (0, 0, 0, 0))
        stills |= {"lower-third": empty, "countdown": empty}
        written = {stem: write_png(image, self.folder / f"{stem}.png") for stem, image in stills.items()}
        with contextlib.suppress(ObsError):
            await self._repoint_sources(written)

    async def show_lower_third(self, source: str, name: str, detail: str | None) -> None:
        await self._show(source, overlays.render_lower_third(name, detail, size=self.canvas), "lower-third")

    def reset_countdown(self) -> None:
        """The next countdown update draws even if the number has not changed (a new segment, a recovery)."""
        self._countdown_shown = None

    async def update_countdown(self, segment: Segment, elapsed: float) -> None:
        """Show the whole seconds left in ``segment`` when they change."""
        if segment.countdown is None:
            return
        remaining = max(0, int((segment.duration or 0) / 1000 - elapsed + 0.999))
        if remaining == self._countdown_shown:
            return
        self._countdown_shown = remaining
        # a missed countdown frame is not worth stopping for; the next second tries again
        with contextlib.suppress(StreamkitError):
            picture = overlays.render_countdown(remaining, title=segment.name, size=self.canvas)
            await self._show(segment.countdown, picture, "countdown")

    async def _show(self, source: str, picture: Image.Image, stem: str) -> None:
        path = write_png(picture, self.folder / f"{stem}-{next(self._sequence) % FILES_PER_OVERLAY}.png")
        await self.client.send(requests.show_file(source, str(path)))

    async def _repoint_sources(self, written: dict[str, Path]) -> None:
        """Point every image source that shows one of our overlays at its new file.

        OBS does not notice a picture that appeared after the source was created while the source is not on air, so a
        fresh file name per run (set through SetInputSettings) is the reliable way to get it loaded.
        """
        listed = await self.client.send(requests.list_image_sources())
        names = [str(i["inputName"]) for i in listed.get("inputs", [])]
        if not names:
            return
        found = await self.client.batch([requests.get_input_settings(n) for n in names])
        folder = self.folder.resolve()
        run_token = int(time.time() * 1000) % 10**9  # never the name a source shows from an earlier run
        for name, answer in zip(names, found, strict=True):
            settings = answer.get("inputSettings", {})
            current = Path(str(settings.get("file", "")))
            # our own sources follow the overlay even if obs.overlay_dir moved since `obs apply`; others only in it
            stem = overlay_of(current, current.parent if settings.get(OWNER_KEY) else folder)
            if stem in written:
                fresh = written[stem].with_name(f"{stem}-{run_token}.png")
                if not fresh.exists():
                    fresh.write_bytes(written[stem].read_bytes())
                await self.client.send(requests.show_file(name, str(fresh)))
