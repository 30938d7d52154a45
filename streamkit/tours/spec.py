"""The tour spec (``config/tours/*.yaml``, ``version: 1``) as frozen models, read once through the config loader.

Media paths in a spec are relative to ``media_root``, which is itself relative to the spec file's folder
(absolute paths are kept as they are). ``Tour.resolve(path)`` is the one place that turns them into real paths.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from streamkit.config.loader import SpecModel, load_spec

Seconds = Annotated[float, Field(ge=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]

# xfade's transition names in ffmpeg 5.1 (`ffmpeg -h filter=xfade`); `cut` means no overlap.
XFADE_TRANSITIONS = frozenset(
    [
        "fade",
        "wipeleft",
        "wiperight",
        "wipeup",
        "wipedown",
        "slideleft",
        "slideright",
        "slideup",
        "slidedown",
        "circlecrop",
        "rectcrop",
        "distance",
        "fadeblack",
        "fadewhite",
        "radial",
        "smoothleft",
        "smoothright",
        "smoothup",
        "smoothdown",
        "circleopen",
        "circleclose",
        "vertopen",
        "vertclose",
        "horzopen",
        "horzclose",
        "dissolve",
        "pixelize",
        "diagtl",
        "diagtr",
        "diagbl",
        "diagbr",
        "hlslice",
        "hrslice",
        "vuslice",
        "vdslice",
        "hblur",
        "fadegrays",
        "wipetl",
        "wipetr",
        "wipebl",
        "wipebr",
        "squeezeh",
        "squeezev",
        "zoomin",
    ]
)

LOUDNESS_PRESETS = {"web": (-16.0, -1.5), "broadcast": (-23.0, -1.0)}
LOUDNESS_RANGE_LU = 11.0  # the loudness range loudnorm aims at when it has to work dynamically


class Transition(SpecModel):
    """How one shot gives way to the next: any xfade transition, or ``cut``."""

    name: str = "fade"
    duration: Seconds = 0.5

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value != "cut" and value not in XFADE_TRANSITIONS:
            raise ValueError(
                f"unknown transition {value!r}; use 'cut' or an xfade name such as fade, dissolve, wipeleft"
            )
        return value

    @property
    def overlap_s(self) -> float:
        return 0.0 if self.name == "cut" else self.duration


class CaptionStyle(SpecModel):
    font: str = "Noto Sans CJK SC"
    size: Annotated[int, Field(gt=0)] = 0  # 0: 1/16 of the output height
    outline: Annotated[float, Field(ge=0)] = 2.0
    position: Literal["bottom", "top", "middle"] = "bottom"
    max_chars: Annotated[int, Field(ge=4)] = 18  # per line, counting a CJK character as one, Latin as half
    burn_in: bool = True


class Defaults(SpecModel):
    transition: Transition = Transition()
    captions: CaptionStyle = CaptionStyle()
    ken_burns: Annotated[float, Field(ge=0, le=0.5)] = 0.12  # how far a photo zooms or pans, as a share of the frame


class HlsVariant(SpecModel):
    height: Annotated[int, Field(ge=90)]
    bitrate_kbps: Annotated[int, Field(gt=0)]


class Loudness(SpecModel):
    preset: Literal["web", "broadcast"] = "web"
    integrated: float | None = Field(None, le=-5, ge=-70)
    true_peak: float | None = Field(None, le=0, ge=-9)

    @property
    def target_lufs(self) -> float:
        return self.integrated if self.integrated is not None else LOUDNESS_PRESETS[self.preset][0]

    @property
    def target_true_peak(self) -> float:
        return self.true_peak if self.true_peak is not None else LOUDNESS_PRESETS[self.preset][1]

    @property
    def target_lra(self) -> float:
        return LOUDNESS_RANGE_LU


class Output(SpecModel):
    size: str = "1280x720"
    fps: str = "30"
    crf: Annotated[int, Field(ge=0, le=51)] = 20
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    loudness: Loudness = Loudness()
    hls: tuple[HlsVariant, ...] = (
        HlsVariant(height=720, bitrate_kbps=3000),
        HlsVariant(height=480, bitrate_kbps=1400),
    )
    photo_fill: Literal["blur", "black"] = "blur"

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        m = re.fullmatch(r"(\d+)x(\d+)", value)
        if not m or int(m[1]) % 2 or int(m[2]) % 2 or int(m[1]) < 64 or int(m[2]) < 64:
            raise ValueError("must be WIDTHxHEIGHT with even numbers of at least 64, such as 1280x720")
        return value

    @field_validator("fps")
    @classmethod
    def _fps(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(/\d+)?", value) or eval_fps(value) <= 0 or eval_fps(value) > 120:
            raise ValueError("must be a frame rate such as 25, 30 or 30000/1001")
        return value

    @property
    def width(self) -> int:
        return int(self.size.split("x")[0])

    @property
    def height(self) -> int:
        return int(self.size.split("x")[1])


def eval_fps(text: str) -> float:
    num, _, den = text.partition("/")
    return int(num) / int(den or 1) if int(den or 1) else 0.0


class Card(SpecModel):
    """A full-frame card of text lines on a colour or an image."""

    lines: tuple[str, ...] = Field(min_length=1)
    background: Colour = "#14181f"
    image: str | None = None
    duration: PositiveSeconds = 3.0


class Clip(SpecModel):
    path: str
    start: Seconds = 0.0
    end: PositiveSeconds | None = None  # default: the end of the file
    audio: bool = True
    volume: Annotated[float, Field(ge=0, le=4)] = 1.0

    @model_validator(mode="after")
    def _order(self) -> Clip:
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


KenBurnsMove = Literal["in", "out", "pan-left", "pan-right", "auto", "none"]


class Photos(SpecModel):
    paths: tuple[str, ...] = Field(min_length=1)
    seconds: PositiveSeconds = 4.0
    move: KenBurnsMove = "auto"


class CaptionLine(SpecModel):
    text: str = Field(min_length=1)
    start: Seconds
    end: PositiveSeconds

    @model_validator(mode="after")
    def _order(self) -> CaptionLine:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class LowerThird(SpecModel):
    name: str = Field(min_length=1)
    detail: str = ""
    start: Seconds = 0.5
    duration: PositiveSeconds = 4.0


class StopNarration(SpecModel):
    path: str
    offset: Seconds = 0.3  # from the start of the stop
    volume: Annotated[float, Field(ge=0, le=4)] = 1.0


CALLABLE_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")


class Effect(SpecModel):
    """A Python effect on a stop's picture: ``use: package.module:function`` called with ``params`` (moviepy)."""

    use: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("use")
    @classmethod
    def _callable_path(cls, value: str) -> str:
        if not CALLABLE_PATH.fullmatch(value):
            raise ValueError(f"{value!r} is not a callable path; write package.module:function")
        return value


class Stop(SpecModel):
    """One stop of the tour: a title (its chapter) and exactly one visual."""

    title: str = Field(min_length=1)
    clip: Clip | None = None
    photos: Photos | None = None
    card: Card | None = None
    captions: tuple[CaptionLine, ...] | str | None = None
    lower_third: LowerThird | None = None
    narration: StopNarration | None = None
    transition: Transition | None = None  # into the next stop; default from `defaults.transition`
    effects: tuple[Effect, ...] = ()  # applied in order through moviepy; see docs/moviepy.md
    martyr: Annotated[int, Field(ge=1)] | None = None  # the register record on screen: its page lists this moment

    @model_validator(mode="after")
    def _one_visual(self) -> Stop:
        count = sum(v is not None for v in (self.clip, self.photos, self.card))
        if count != 1:
            raise ValueError("needs exactly one of clip, photos or card")
        return self


class NarrationTrack(SpecModel):
    """One narration file placed on the tour's timeline (an alternative to narration per stop)."""

    path: str
    at: Seconds = 0.0
    volume: Annotated[float, Field(ge=0, le=4)] = 1.0


class MusicBed(SpecModel):
    path: str
    volume: Annotated[float, Field(ge=0, le=4)] = 0.5
    start: Seconds = 0.0
    loop: bool = True
    fade_out: Seconds = 2.0


class Ducking(SpecModel):
    threshold: Annotated[float, Field(ge=0.001, le=1)] = 0.02
    ratio: Annotated[float, Field(ge=1, le=20)] = 10.0
    attack_ms: Annotated[float, Field(ge=0.01, le=2000)] = 20.0
    release_ms: Annotated[float, Field(ge=0.01, le=9000)] = 350.0


class Logo(SpecModel):
    path: str
    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "top-right"
    opacity: Annotated[float, Field(ge=0, le=1)] = 0.8
    margin: Annotated[int, Field(ge=0)] = 16
    width: Annotated[float, Field(gt=0, le=0.5)] = 0.1  # share of the output width


class Tour(SpecModel):
    version: Literal[1]
    title: Card | None = None
    media_root: str = "."
    output: Output = Output()
    defaults: Defaults = Defaults()
    stops: tuple[Stop, ...] = Field(min_length=1)
    outro: Card | None = None
    narration: tuple[NarrationTrack, ...] = ()
    music: tuple[MusicBed, ...] = ()
    ducking: Ducking = Ducking()
    logo: Logo | None = None

    _spec_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _remember_source(self, info: ValidationInfo) -> Tour:
        source = (info.context or {}).get("source")
        if source is not None:
            self._spec_dir = Path(source).resolve().parent
        return self

    @property
    def root(self) -> Path:
        return (self._spec_dir / self.media_root).resolve()

    def resolve(self, path: str) -> Path:
        """A media path of the spec as a real path (relative to ``media_root``)."""
        return (self.root / path).resolve()


def load_tour(path: str | Path) -> Tour:
    """Read and validate a tour spec; every problem is reported as ``file:line: field: message``."""
    return load_spec(path, Tour)
