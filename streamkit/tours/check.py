"""``tour check``: everything that would make a render fail or look wrong, found before rendering, all at once.

Spec problems (unknown keys, bad values) come from the loader; this module adds what needs the media: missing or
corrupt files (each probed), trims past the end, transitions longer than a neighbouring shot, narration longer
than its stop, captions outside their stop, a missing caption font. Each problem names ``file:line: field``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from streamkit.cache import cache_dir, prune
from streamkit.config.loader import Loc, format_loc, read_yaml
from streamkit.errors import ConfigError, ConfigProblem, MediaError
from streamkit.fonts import FontMatch, find_cjk_font
from streamkit.media.probe import MediaInfo, probe
from streamkit.tours.effects import effect_problems
from streamkit.tours.spec import Tour, load_tour
from streamkit.tours.stills import open_photo
from streamkit.tours.timeline import Timeline, build_timeline, to_frames

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
PROBES_AT_ONCE = 4


@dataclass
class CheckedTour:
    """A tour whose media were all probed; ``problems`` is empty when it can be rendered."""

    tour: Tour
    media: dict[Path, MediaInfo] = field(default_factory=dict)
    font: FontMatch | None = None
    problems: list[ConfigProblem] = field(default_factory=list)

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


class _Reporter:
    def __init__(self, spec: Path, shown: str) -> None:
        self.shown = shown
        try:
            _, self.lines = read_yaml(spec)
        except ConfigError:
            self.lines = {}
        self.problems: list[ConfigProblem] = []

    def add(self, loc: Loc, message: str) -> None:
        line = None
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                line = self.lines[loc[:end]]
                break
        self.problems.append(ConfigProblem(self.shown, line, format_loc(loc), message))


def _media_paths(tour: Tour) -> list[tuple[Loc, str, str]]:
    """Every media path in the spec: (where, path, kind) with kind ``av`` (probe) or ``image`` (decode)."""
    found: list[tuple[Loc, str, str]] = []
    for k, stop in enumerate(tour.stops):
        if stop.clip is not None:
            found.append((("stops", k, "clip", "path"), stop.clip.path, "av"))
        if stop.photos is not None:
            found += [(("stops", k, "photos", "paths", i), p, "image") for i, p in enumerate(stop.photos.paths)]
        if stop.card is not None and stop.card.image:
            found.append((("stops", k, "card", "image"), stop.card.image, "image"))
        if stop.narration is not None:
            found.append((("stops", k, "narration", "path"), stop.narration.path, "av"))
    for name, card in (("title", tour.title), ("outro", tour.outro)):
        if card is not None and card.image:
            found.append(((name, "image"), card.image, "image"))
    found += [(("narration", i, "path"), n.path, "av") for i, n in enumerate(tour.narration)]
    found += [(("music", i, "path"), m.path, "av") for i, m in enumerate(tour.music)]
    if tour.logo is not None:
        found.append((("logo", "path"), tour.logo.path, "image"))
    return found


def check_media(tour: Tour, report: _Reporter) -> dict[Path, MediaInfo]:
    """Open every photo and probe every clip and sound, a few at a time (each probe is an ffprobe process, mostly
    start-up, so they overlap well; a file probed before and unchanged since is not probed again), reported in the
    spec's order."""
    found = [(loc, text, tour.resolve(text), kind == "image" or tour.resolve(text).suffix.lower() in IMAGE_SUFFIXES)
             for loc, text, kind in _media_paths(tour)]  # fmt: skip
    prune(cache_dir("probes"))  # reports on files no check has probed for a month

    def examine(path: Path, image: bool) -> MediaInfo | None:
        if image:
            open_photo(path)
            return None
        return probe(path, remember=True)

    with ThreadPoolExecutor(max_workers=PROBES_AT_ONCE) as pool:
        results = {
            key: pool.submit(examine, *key) for key in dict.fromkeys((path, image) for _, _, path, image in found)
        }
    media: dict[Path, MediaInfo] = {}
    for loc, text, path, image in found:
        try:
            info = results[(path, image)].result()
        except MediaError as exc:
            report.add(loc, f"{text}: {exc.cause}")
        else:
            if info is not None:
                media[path] = info
    return media


def check_timing(tour: Tour, media: dict[Path, MediaInfo], report: _Reporter) -> Timeline:
    timeline = build_timeline(tour, media)
    for k, stop in enumerate(tour.stops):
        if stop.clip is not None:
            info = media.get(tour.resolve(stop.clip.path))
            if info is not None:
                length = info.duration_ms / 1000
                frame = 1 / float(timeline.fps)
                if stop.clip.start >= length:
                    report.add(("stops", k, "clip", "start"), f"trim starts at {stop.clip.start:g} s, past the end "
                               f"of {stop.clip.path} ({length:.3f} s)")  # fmt: skip
                elif stop.clip.end is not None and stop.clip.end > length + frame:
                    report.add(("stops", k, "clip", "end"), f"trim ends at {stop.clip.end:g} s, past the end "
                               f"of {stop.clip.path} ({length:.3f} s)")  # fmt: skip
    # transitions: compare what was asked with the shots on both sides (unknown clip lengths are skipped)
    previous: tuple[int, str] | None = None
    for shot, (where, seconds, label) in zip(timeline.shots, _requested_transitions(tour), strict=True):
        known = shot.kind != "clip" or shot.source in media
        asked = to_frames(seconds, timeline.fps)
        if previous is not None and known and asked and (asked >= shot.frames or asked >= previous[0]):
            shortest = min(shot.frames, previous[0]) / float(timeline.fps)
            report.add(where, f"transition of {seconds:g} s between {previous[1]} and {label} is longer than "
                       f"a neighbouring shot ({shortest:.2f} s)")  # fmt: skip
        previous = (shot.frames, label) if known else None
    seg_of_stop = [s for s in timeline.segments if s.kind == "stop"]
    for k, (stop, seg) in enumerate(zip(tour.stops, seg_of_stop, strict=True)):
        length_ms = seg.end_ms - seg.start_ms
        if stop.narration is not None:
            info = media.get(tour.resolve(stop.narration.path))
            if info is not None and round(stop.narration.offset * 1000) + info.duration_ms > length_ms:
                report.add(("stops", k, "narration"), f"narration lasts {info.duration_ms / 1000:.2f} s from "
                           f"{stop.narration.offset:g} s but the stop lasts {length_ms / 1000:.2f} s")  # fmt: skip
        if stop.captions is not None and not isinstance(stop.captions, str):
            for i, cap in enumerate(stop.captions):
                if round(cap.end * 1000) > length_ms:
                    message = f"caption ends at {cap.end:g} s but the stop lasts {length_ms / 1000:.2f} s"
                    report.add(("stops", k, "captions", i, "end"), message)
    for i, track in enumerate(tour.narration):
        info = media.get(tour.resolve(track.path))
        if info is not None and round(track.at * 1000) + info.duration_ms > timeline.duration_ms:
            report.add(("narration", i), f"narration runs {info.duration_ms / 1000:.2f} s from {track.at:g} s, past "
                       f"the end of the tour ({timeline.duration_ms / 1000:.2f} s)")  # fmt: skip
    return timeline


def _requested_transitions(tour: Tour) -> list[tuple[Loc, float, str]]:
    """For every shot in timeline order: where its incoming transition is set, its overlap, and the shot's name."""
    out: list[tuple[Loc, float, str]] = []
    default_loc: Loc = ("defaults", "transition")
    default = tour.defaults.transition.overlap_s
    incoming: tuple[Loc, float] = ((), 0.0)
    if tour.title is not None:
        out.append(((" title",), 0.0, "the title"))
        incoming = (default_loc, default)
    for k, stop in enumerate(tour.stops):
        count = len(stop.photos.paths) if stop.photos is not None else 1
        for i in range(count):
            label = f"stops[{k}]" if count == 1 else f"stops[{k}] photo {i + 1}"
            out.append((*incoming, label) if i == 0 else (default_loc, default, label))
        own = stop.transition
        incoming = (("stops", k, "transition"), own.overlap_s) if own is not None else (default_loc, default)
    if tour.outro is not None:
        out.append((*incoming, "the outro"))
    return out


def check_tour(spec: str | Path) -> CheckedTour:
    """Load and check a spec; spec errors raise ConfigError, media and timing problems are collected."""
    spec = Path(spec)
    tour = load_tour(spec)
    shown = _shown(spec)
    report = _Reporter(spec, shown)
    checked = CheckedTour(tour)
    checked.media = check_media(tour, report)
    check_timing(tour, checked.media, report)
    for loc, message in effect_problems(tour, tour._spec_dir):  # effects: importable, parameters as declared
        report.add(loc, message)
    checked.font = find_cjk_font(tour.defaults.captions.font)
    if checked.font is None:
        report.add(
            ("defaults", "captions", "font"),
            f"no font with Chinese glyphs found for {tour.defaults.captions.font!r}; install fonts-noto-cjk",
        )
    checked.problems = sorted(dict.fromkeys(report.problems), key=lambda p: (p.line or 0, p.field))
    return checked


def _shown(spec: Path) -> str:
    try:
        return str(spec.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(spec)
