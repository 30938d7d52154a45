"""The plan of a tour: every shot, transition, chapter, caption and voice placed in whole frames. Pure data.

Time is counted in frames on a ``Fraction`` frame rate; milliseconds are derived from frames, never the other way
round, so the planned duration is exactly what the encoder writes. With crossfades, shot k starts at
``sum(frames[i] for i < k) - sum(overlap[i] for i <= k)`` (the xfade offset rule).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from streamkit.media.probe import MediaInfo
from streamkit.tours.spec import Card, MusicBed, Stop, Tour, Transition

ShotKind = Literal["clip", "photo", "card"]
Move = Literal["in", "out", "pan-left", "pan-right", "none"]
AUTO_MOVES: tuple[Move, ...] = ("in", "pan-right", "out", "pan-left")


@dataclass(frozen=True, kw_only=True)
class Shot:
    """One continuous piece of picture on the output: a trimmed clip, a photo or a card."""

    kind: ShotKind
    start_frame: int
    frames: int
    overlap_in: int  # frames shared with the previous shot (0 for a cut or the first shot)
    transition_in: str  # xfade name, or "cut"
    segment: int  # index into Timeline.segments
    source: Path | None = None  # the clip or the photo
    card: Card | None = None
    trim_start_ms: int = 0
    audio: bool = False  # the clip's own sound is used
    volume: float = 1.0
    move: Move = "none"

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int
    martyr: int | None = None  # the register record a stop shows


@dataclass(frozen=True)
class CaptionCue:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class LowerThirdCue:
    name: str
    detail: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class VoicePlacement:
    """A narration file and where it starts on the tour's timeline."""

    source: Path
    start_ms: int
    volume: float
    segment: int | None  # the stop it belongs to, when given per stop


@dataclass(frozen=True)
class MusicPlacement:
    source: Path
    start_ms: int
    volume: float
    loop: bool
    fade_out_ms: int


@dataclass(frozen=True)
class Segment:
    """The title card, a stop, or the outro: a chapter made of one or more shots."""

    title: str
    kind: Literal["title", "stop", "outro"]
    first_shot: int
    last_shot: int
    start_ms: int
    end_ms: int  # where the next segment starts (its chapter end)


@dataclass(frozen=True, kw_only=True)
class Timeline:
    width: int
    height: int
    fps: Fraction
    shots: tuple[Shot, ...]
    segments: tuple[Segment, ...]
    chapters: tuple[Chapter, ...]
    captions: tuple[CaptionCue, ...]
    lower_thirds: tuple[LowerThirdCue, ...]
    voices: tuple[VoicePlacement, ...]
    music: tuple[MusicPlacement, ...]
    total_frames: int

    @property
    def duration_ms(self) -> int:
        return self.frame_ms(self.total_frames)

    def frame_ms(self, frame: int) -> int:
        return round(Fraction(frame * 1000) / self.fps)

    def frame_seconds(self, frame: int) -> str:
        """A frame's time as an exact-enough decimal string for filter options (microsecond precision)."""
        return f"{float(Fraction(frame) / self.fps):.6f}"


def to_frames(seconds: float, fps: Fraction) -> int:
    return round(Fraction(seconds).limit_denominator(1_000_000) * fps)


def clip_seconds(stop_clip_end: float | None, start: float, info: MediaInfo | None) -> float:
    end = stop_clip_end if stop_clip_end is not None else (info.duration_ms / 1000 if info else start + 1.0)
    return max(end - start, 0.0)


@dataclass
class _Builder:
    tour: Tour
    media: Mapping[Path, MediaInfo]
    fps: Fraction

    def __post_init__(self) -> None:
        self.shots: list[Shot] = []
        self.cursor = 0  # end frame of the last shot
        self.photo_count = 0

    def add(self, kind: ShotKind, frames: int, transition: Transition | None, segment: int, **extra: object) -> None:
        overlap = 0
        name = "cut"
        if self.shots and transition is not None and transition.overlap_s > 0:
            previous = self.shots[-1].frames
            # an xfade cannot be longer than either neighbour; `tour check` reports it, the plan stays renderable
            overlap = min(to_frames(transition.overlap_s, self.fps), previous - 1, frames - 1)
            overlap = max(overlap, 0)
            name = transition.name if overlap else "cut"
        start = self.cursor - overlap
        self.shots.append(
            Shot(
                kind=kind,
                start_frame=start,
                frames=frames,
                overlap_in=overlap,
                transition_in=name,
                segment=segment,
                **extra,  # type: ignore[arg-type]
            )
        )
        self.cursor = start + frames

    def stop_shots(self, stop: Stop, segment: int, transition_in: Transition | None) -> None:
        if stop.clip is not None:
            source = self.tour.resolve(stop.clip.path)
            seconds = clip_seconds(stop.clip.end, stop.clip.start, self.media.get(source))
            info = self.media.get(source)
            self.add(
                "clip",
                max(to_frames(seconds, self.fps), 1),
                transition_in,
                segment,
                source=source,
                trim_start_ms=round(stop.clip.start * 1000),
                audio=stop.clip.audio and (info is None or info.has_audio),
                volume=stop.clip.volume,
            )
        elif stop.photos is not None:
            for i, path in enumerate(stop.photos.paths):
                move: Move
                if stop.photos.move == "auto":
                    move = AUTO_MOVES[self.photo_count % len(AUTO_MOVES)]
                else:
                    move = stop.photos.move
                self.photo_count += 1
                inner = transition_in if i == 0 else self.tour.defaults.transition
                self.add(
                    "photo",
                    to_frames(stop.photos.seconds, self.fps),
                    inner,
                    segment,
                    source=self.tour.resolve(path),
                    move=move if self.tour.defaults.ken_burns > 0 else "none",
                )
        elif stop.card is not None:
            self.add("card", to_frames(stop.card.duration, self.fps), transition_in, segment, card=stop.card)


def build_timeline(tour: Tour, media: Mapping[Path, MediaInfo], *, size: tuple[int, int] | None = None) -> Timeline:
    """Plan ``tour`` using probed ``media`` (clip durations); pure."""
    fps = Fraction(tour.output.fps)
    width, height = size or (tour.output.width, tour.output.height)
    b = _Builder(tour, media, fps)
    default = tour.defaults.transition
    titles: list[tuple[str, Literal["title", "stop", "outro"]]] = []
    next_transition: Transition | None = None
    if tour.title is not None:
        titles.append((tour.title.lines[0], "title"))
        b.add("card", to_frames(tour.title.duration, fps), None, 0, card=tour.title)
        next_transition = default
    for stop in tour.stops:
        titles.append((stop.title, "stop"))
        b.stop_shots(stop, len(titles) - 1, next_transition)
        next_transition = stop.transition or default
    if tour.outro is not None:
        titles.append((tour.outro.lines[0], "outro"))
        b.add("card", to_frames(tour.outro.duration, fps), next_transition, len(titles) - 1, card=tour.outro)

    shots = tuple(b.shots)
    total = b.cursor

    def ms(frame: int) -> int:
        return round(Fraction(frame * 1000) / fps)

    segments: list[Segment] = []
    for index, (title, kind) in enumerate(titles):
        members = [i for i, s in enumerate(shots) if s.segment == index]
        segments.append(Segment(title, kind, members[0], members[-1], ms(shots[members[0]].start_frame), 0))
    segments = [
        Segment(s.title, s.kind, s.first_shot, s.last_shot, s.start_ms,
                segments[i + 1].start_ms if i + 1 < len(segments) else ms(total))
        for i, s in enumerate(segments)
    ]  # fmt: skip
    stops = iter(tour.stops)
    chapters = tuple(
        Chapter(s.title, s.start_ms, s.end_ms, next(stops).martyr if s.kind == "stop" else None) for s in segments
    )

    stop_segments = [s for s in segments if s.kind == "stop"]
    captions: list[CaptionCue] = []
    lower_thirds: list[LowerThirdCue] = []
    voices: list[VoicePlacement] = []
    for stop, seg in zip(tour.stops, stop_segments, strict=True):
        visible_end = min(seg.end_ms, ms(shots[seg.last_shot].end_frame))
        captions += stop_captions(stop, seg.start_ms, visible_end)
        if stop.lower_third is not None:
            lt = stop.lower_third
            start = seg.start_ms + round(lt.start * 1000)
            lower_thirds.append(
                LowerThirdCue(lt.name, lt.detail, start, min(start + round(lt.duration * 1000), visible_end))
            )
        if stop.narration is not None:
            voices.append(
                VoicePlacement(
                    tour.resolve(stop.narration.path),
                    seg.start_ms + round(stop.narration.offset * 1000),
                    stop.narration.volume,
                    segments.index(seg),
                )
            )
    voices += [VoicePlacement(tour.resolve(n.path), round(n.at * 1000), n.volume, None) for n in tour.narration]
    music = tuple(_music(bed, tour) for bed in tour.music)
    return Timeline(
        width=width,
        height=height,
        fps=fps,
        shots=shots,
        segments=tuple(segments),
        chapters=chapters,
        captions=tuple(captions),
        lower_thirds=tuple(lower_thirds),
        voices=tuple(voices),
        music=music,
        total_frames=total,
    )


def _music(bed: MusicBed, tour: Tour) -> MusicPlacement:
    return MusicPlacement(
        tour.resolve(bed.path), round(bed.start * 1000), bed.volume, bed.loop, round(bed.fade_out * 1000)
    )


SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n")


def split_sentences(text: str) -> list[str]:
    """Plain caption text into sentences: after 。！？!?；; and at line breaks."""
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]


def stop_captions(stop: Stop, start_ms: int, end_ms: int) -> list[CaptionCue]:
    """The captions of one stop on the tour's timeline; plain text is spread over the stop by length."""
    if stop.captions is None:
        return []
    if not isinstance(stop.captions, str):
        return [
            CaptionCue(c.text, start_ms + round(c.start * 1000), min(start_ms + round(c.end * 1000), end_ms))
            for c in stop.captions
        ]
    sentences = split_sentences(stop.captions)
    margin = min(200, (end_ms - start_ms) // 10)
    span = end_ms - start_ms - 2 * margin
    weights = [max(len(s), 1) for s in sentences]
    cues = []
    at = start_ms + margin
    for i, sentence in enumerate(sentences):
        end = start_ms + margin + span * sum(weights[: i + 1]) // sum(weights)
        cues.append(CaptionCue(sentence, at, end))
        at = end
    return cues


@dataclass(frozen=True)
class Chunk:
    """Frames ``[start_frame, end_frame)`` of the output, rendered by one process; shots ``first..last`` feed it."""

    start_frame: int
    end_frame: int
    first_shot: int
    last_shot: int  # inclusive

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame


def _alone(timeline: Timeline) -> list[tuple[int, int]]:
    """Per shot, the first and last frame ``f`` where frames ``f-1`` and ``f`` show that shot alone (first > last
    when its crossfades leave no such frame)."""
    shots = timeline.shots
    spans = []
    for i, shot in enumerate(shots):
        following = shots[i + 1].overlap_in if i + 1 < len(shots) else 0
        spans.append((shot.start_frame + shot.overlap_in + 1, shot.end_frame - following - 1))
    return spans


def safe_cuts(timeline: Timeline) -> list[int]:
    """Frames where a chunk may begin: no transition is in progress across them.

    A cut at frame ``f`` is safe when frames ``f-1`` and ``f`` show one shot alone, or when ``f`` is a hard cut
    between two shots; both kinds give identical pictures on either side. Within a shot the candidate is the
    earliest safe frame (just after its crossfade in): a chunk builds its first shot from that shot's start and
    throws away the frames before the cut, so a cut in the middle of a shot costs decoding and Ken Burns for
    the frames before it (``plan_chunks`` cuts inside a shot only when no shot begins near its target).
    """
    shots = timeline.shots
    cuts = {low for low, high in _alone(timeline) if low <= high}
    cuts |= {shot.end_frame for shot, after in itertools.pairwise(shots) if after.overlap_in == 0}
    return sorted(c for c in cuts if 0 < c < timeline.total_frames)


def plan_chunks(timeline: Timeline, target_frames: int) -> tuple[Chunk, ...]:
    """Split the tour into chunks of about ``target_frames`` at safe cuts; pure.

    Each frame belongs to exactly one chunk. A tour shorter than two chunks stays whole (one chunk): a second
    process and the join cost more than they save there. The last chunk is never shorter than half a target.
    """
    total = timeline.total_frames
    target = max(target_frames, 1)
    starts = [0]
    candidates = safe_cuts(timeline)
    spans = [(low, high) for low, high in _alone(timeline) if low <= high]
    while total >= 2 * target and total - starts[-1] > target * 3 // 2:
        desired = starts[-1] + target

        def allowed(c: int) -> bool:
            return starts[-1] < c <= total - target // 2

        ahead = [c for c in candidates if allowed(c)]
        if not ahead or min(abs(c - desired) for c in ahead) > target // 2:  # a long shot: cut inside it
            ahead += [min(max(desired, low), high) for low, high in spans]
            ahead = [c for c in ahead if allowed(c)]
        if not ahead:
            break
        starts.append(min(ahead, key=lambda c: (abs(c - desired), c)))
    bounds = [*starts, total]
    chunks = []
    for start, end in itertools.pairwise(bounds):
        members = [i for i, s in enumerate(timeline.shots) if s.start_frame < end and s.end_frame > start]
        chunks.append(Chunk(start, end, members[0], members[-1]))
    return tuple(chunks)
