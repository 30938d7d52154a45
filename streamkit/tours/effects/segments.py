"""Pre-render the stops that have effects into near-lossless segments, cached by content hash.

A stop with effects is planned on its own (the same ``build_timeline``), drawn by the moviepy picture code, passed
through its effects, and written to ``<cache>/effects/<hash>.mkv`` (H.264 CRF 10, PCM sound). The stop is then
rewritten as a plain ``clip:`` of that segment, keeping its title, captions, lower-third, narration and
transition, so both engines assemble it exactly like any clip. The hash covers everything that changes the
segment's pixels: the stop's visual and effects, the content of every file they read (media, ``Path`` parameters,
the effect's own source code), the size, frame rate and Ken Burns settings, and the moviepy version. An unchanged
stop is not rendered again.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamkit.cache import cache_dir
from streamkit.config.loader import format_loc
from streamkit.errors import ConfigError, ConfigProblem
from streamkit.media.checksum import file_sha256
from streamkit.media.codecs import SAMPLE_RATE
from streamkit.media.moviepy_binding import load_moviepy, moviepy_version
from streamkit.media.probe import probe
from streamkit.media.publish import atomic_output, verify_media
from streamkit.tours.check import CheckedTour
from streamkit.tours.effects import EffectProblem, ResolvedEffect, apply_effects, stop_effects
from streamkit.tours.inputs import prepare_stills
from streamkit.tours.moviepy.picture import ShotSources, TourPicture
from streamkit.tours.moviepy.sound import open_sound
from streamkit.tours.spec import Clip, Stop, Tour
from streamkit.tours.timeline import build_timeline

CACHE_VERSION = "1"
SEGMENT_CRF = 10  # visually lossless; FFV1 would be exact but ~10x larger at 720p for no visible gain


@dataclass(frozen=True)
class EffectSegment:
    stop: int
    path: Path
    cached: bool  # True: found in the cache, not rendered


def effects_cache_dir() -> Path:
    return cache_dir("effects")


def _digest(path: Path) -> str:
    return file_sha256(path) if path.is_file() else f"missing:{path}"


def _stop_media(tour: Tour, stop: Stop) -> list[Path]:
    paths = []
    if stop.clip is not None:
        paths.append(tour.resolve(stop.clip.path))
    if stop.photos is not None:
        paths += [tour.resolve(p) for p in stop.photos.paths]
    if stop.card is not None and stop.card.image:
        paths.append(tour.resolve(stop.card.image))
    return paths


def segment_key(tour: Tour, stop: Stop, effects: list[ResolvedEffect], size: tuple[int, int]) -> str:
    """The content hash of a stop's pre-rendered segment (see the module docstring for what it covers)."""
    visual = stop.model_dump(mode="json", include={"clip", "photos", "card", "effects"})
    content = {
        "version": CACHE_VERSION,
        "moviepy": moviepy_version(),
        "visual": visual,
        "media": [_digest(p) for p in _stop_media(tour, stop)],
        "effects": [[e.source_digest, *e.file_digests] for e in effects],
        "size": size,
        "fps": tour.output.fps,
        "ken_burns": tour.defaults.ken_burns,
        "photo_fill": tour.output.photo_fill,
        "transition": tour.defaults.transition.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _alone(tour: Tour, stop: Stop) -> Tour:
    """The tour reduced to one stop without effects: the plan of the stop's own picture."""
    bare = stop.model_copy(update={"effects": ()})
    update = {"title": None, "outro": None, "stops": (bare,), "narration": (), "music": (), "logo": None}
    return tour.model_copy(update=update)


def render_segment(
    checked: CheckedTour, k: int, effects: list[ResolvedEffect], size: tuple[int, int], target: Path
) -> None:
    """Draw stop ``k``, apply its effects, and write the segment to ``target`` (atomically)."""
    mp = load_moviepy()
    tour = checked.tour
    stop = tour.stops[k]
    single = _alone(tour, stop)
    timeline = build_timeline(single, checked.media, size=size)
    fps = float(timeline.fps)
    sources = ShotSources(timeline, prepare_stills(single, timeline), checked.media, tour.defaults.ken_burns)
    opened: list[Any] = []
    try:
        picture = TourPicture(timeline, sources).clip(timeline.total_frames)
        shot = timeline.shots[0]
        with_sound = stop.clip is not None and shot.audio and shot.source is not None
        if with_sound:
            assert shot.source is not None
            start = shot.trim_start_ms / 1000
            sound = open_sound(shot.source, opened)
            sound = sound.subclipped(start, min(start + timeline.total_frames / fps, sound.duration))
            picture = picture.with_audio(sound)
        result = apply_effects(picture, effects)
        frames = max(1, int(result.duration * fps + 0.01))
        if with_sound and result.audio is not None:
            result = result.with_audio(mp.CompositeAudioClip([result.audio]).with_duration(frames / fps))
        result = result.with_duration((frames + 0.5) / fps)  # moviepy writes int(duration * fps) frames
        expected_ms = round(frames * 1000 / fps)
        target.parent.mkdir(parents=True, exist_ok=True)
        verify = verify_media(expected_ms, tolerance_ms=round(1000 / fps) + 1)
        with atomic_output(target, verify) as partial, tempfile.TemporaryDirectory(prefix="streamkit-fx-") as tmp:
            result.write_videofile(
                str(partial), fps=fps, codec="libx264", preset="veryfast", pixel_format="yuv420p",
                ffmpeg_params=["-crf", str(SEGMENT_CRF)], audio=bool(with_sound), audio_codec="pcm_s16le",
                audio_fps=SAMPLE_RATE, temp_audiofile_path=tmp, logger=None,
            )  # fmt: skip
    finally:
        sources.close()
        for clip in opened:
            clip.close()


def prerender_effect_stops(
    checked: CheckedTour, size: tuple[int, int], cache: Path | None = None
) -> tuple[CheckedTour, list[EffectSegment]]:
    """Render (or find in the cache) every stop with effects; return the tour with those stops as clips."""
    tour = checked.tour
    if not any(stop.effects for stop in tour.stops):
        return checked, []
    cache = cache or effects_cache_dir()
    spec_dir = tour._spec_dir
    stops = list(tour.stops)
    media = dict(checked.media)
    made: list[EffectSegment] = []
    for k, stop in enumerate(tour.stops):
        if not stop.effects:
            continue
        try:
            effects = stop_effects(tour, k, spec_dir)
        except EffectProblem as problem:
            where = format_loc(problem.where)
            raise ConfigError([ConfigProblem("tour spec", None, where, problem.message)]) from None
        target = cache / f"{segment_key(tour, stop, effects, size)[:32]}.mkv"
        cached = target.is_file()
        if not cached:
            render_segment(checked, k, effects, size, target)
        made.append(EffectSegment(k, target, cached))
        media[target] = probe(target)
        own_sound = stop.clip is not None and stop.clip.audio
        volume = stop.clip.volume if stop.clip is not None else 1.0
        segment = Clip(path=str(target), audio=own_sound, volume=volume)
        stops[k] = stop.model_copy(update={"clip": segment, "photos": None, "card": None, "effects": ()})
    rewritten = tour.model_copy(update={"stops": tuple(stops)})
    return CheckedTour(rewritten, media, checked.font, list(checked.problems)), made
