"""What a render reads besides the spec's media, prepared once: stills, lower-thirds, logo, captions, chapters,
Ken Burns plans. Values come from the spec; nothing here holds a default of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from streamkit.cache import cache_dir, prune
from streamkit.tours import captions, stills
from streamkit.tours.check import CheckedTour
from streamkit.tours.ffmpeg import ken_burns
from streamkit.tours.spec import Ducking, Tour
from streamkit.tours.timeline import Timeline


@dataclass(frozen=True)
class LogoPlacement:
    path: Path
    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"]
    opacity: float
    margin: int
    width: int  # pixels


@dataclass(frozen=True, kw_only=True)
class Overlay:
    """An RGBA picture shown between two times with its top-left corner at ``(x, y)`` of the frame (a
    lower-third, cropped to its visible pixels, so only those are blended)."""

    path: Path
    start_ms: int
    end_ms: int
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class PlannedMove:
    """A photo's Ken Burns move as whole-pixel crops and scales, and the ``sendcmd`` file the executor wrote."""

    plan: ken_burns.KenBurnsPlan
    commands: Path


@dataclass(frozen=True, kw_only=True)
class TourInputs:
    """Files the render uses besides the spec's media (prepared stills, caption files, metadata), and the spec's
    sound and move settings the graph applies."""

    ducking: Ducking
    ken_burns: float  # how far a photo moves (``Defaults.ken_burns``)
    stills: dict[int, Path] = field(default_factory=dict)  # shot index -> raw 4:4:4 still (photos and cards)
    lower_thirds: tuple[Overlay, ...] = ()
    logo: LogoPlacement | None = None
    burn_ass: Path | None = None
    fonts_dir: Path | None = None
    soft_srt: Path | None = None
    metadata: Path | None = None
    moves: dict[int, PlannedMove] = field(default_factory=dict)  # shot index -> planned move (else perspective)


def prepare_stills(
    tour: Tour, timeline: Timeline, sizes: Mapping[int, tuple[int, int]] | None = None
) -> dict[int, Path]:
    """The prepared (cached) picture of every photo and card shot, by shot index; at the frame's size unless
    ``sizes`` names another one for a shot (a moving photo is prepared larger)."""
    size = (timeline.width, timeline.height)
    cache = cache_dir("stills")
    prune(cache)  # stills no render has used for a month
    still_files: dict[int, Path] = {}
    for i, shot in enumerate(timeline.shots):
        if shot.kind == "photo" and shot.source is not None:
            photo_size = (sizes or {}).get(i, size)
            still_files[i] = stills.prepare_photo(shot.source, photo_size, tour.output.photo_fill, cache)
        elif shot.card is not None:
            image = tour.resolve(shot.card.image) if shot.card.image else None
            still_files[i] = stills.prepare_card(shot.card, size, cache, image)
    return still_files


def prepare_inputs(
    checked: CheckedTour, timeline: Timeline, work: Path, burn: bool, *, shots: bool = True
) -> TourInputs:
    """Write what the graph reads besides the spec's media: stills, lower-thirds, captions, chapters. Without
    ``shots`` the stills and Ken Burns plans are left out (the moviepy engine draws the shots itself)."""
    tour = checked.tour
    size = (timeline.width, timeline.height)
    cache = cache_dir("stills")
    planned = plan_moves(timeline, tour.defaults.ken_burns, work) if shots else {}
    sizes = {i: move.plan.still_size for i, move in planned.items()}
    still_files = prepare_stills(tour, timeline, sizes) if shots else {}
    lower_thirds = []
    for lt in timeline.lower_thirds:
        path, (x, y) = stills.prepare_lower_third(lt.name, lt.detail, size, cache)
        lower_thirds.append(Overlay(path=path, start_ms=lt.start_ms, end_ms=lt.end_ms, x=x, y=y))
    soft_srt = burn_ass = None
    if timeline.captions:
        soft_srt = work / "captions.srt"
        soft_srt.write_text(captions.srt(timeline.captions), encoding="utf-8")
        if burn:
            burn_ass = work / "captions.ass"
            burn_ass.write_text(captions.ass(timeline.captions, tour.defaults.captions, size), encoding="utf-8")
    metadata = work / "chapters.ffmeta"
    title = tour.title.lines[0] if tour.title else tour.stops[0].title
    metadata.write_text(captions.ffmetadata(timeline.chapters, title), encoding="utf-8")
    return TourInputs(
        ducking=tour.ducking,
        ken_burns=tour.defaults.ken_burns,
        stills={i: stills.raw_still(png) for i, png in still_files.items()},
        lower_thirds=tuple(lower_thirds),
        logo=logo_placement(tour, timeline),
        burn_ass=burn_ass,
        fonts_dir=_fonts_dir(checked, work),
        soft_srt=soft_srt,
        metadata=metadata,
        moves=planned,
    )


def logo_placement(tour: Tour, timeline: Timeline) -> LogoPlacement | None:
    """The spec's logo in the render's pixels (its margin scaled with a preview's height)."""
    if tour.logo is None:
        return None
    margin = round(tour.logo.margin * timeline.height / tour.output.height)
    width = max(2, round(tour.logo.width * timeline.width / 2) * 2)
    return LogoPlacement(tour.resolve(tour.logo.path), tour.logo.corner, tour.logo.opacity, margin, width)


def plan_moves(timeline: Timeline, amount: float, work: Path) -> dict[int, PlannedMove]:
    """Whole-pixel plans of the photos' Ken Burns moves, with their ``sendcmd`` files written into ``work``.
    A move no plan places within ``ken_burns.MAX_ERROR_PX`` is left out (the graph uses ``perspective``)."""
    size = (timeline.width, timeline.height)
    planned = {}
    for i, shot in enumerate(timeline.shots):
        if shot.kind != "photo" or shot.move == "none":
            continue
        plan = ken_burns.plan_move(shot.move, shot.frames, amount, size)
        if plan.worst_error_px > ken_burns.MAX_ERROR_PX:
            continue
        commands = work / f"move-{i}.cmd"
        commands.write_text(ken_burns.sendcmd_script(plan, timeline.fps, f"crop@kb{i}"), encoding="utf-8")
        planned[i] = PlannedMove(plan, commands)
    return planned


def _fonts_dir(checked: CheckedTour, work: Path) -> Path | None:
    """A folder holding only the caption font: libass loads every font file of ``fontsdir`` into memory, and
    the CJK font folders hold many large ones."""
    if checked.font is None:
        return None
    folder = work / "fonts"
    folder.mkdir(exist_ok=True)
    (folder / checked.font.file.name).symlink_to(checked.font.file)
    return folder
