"""The rundown of a ceremony (``config/ceremonies/*.yaml``, version 1): segments, cues, outputs.

Times in the file are ``90``, ``"90s"``, ``"1:30"`` or ``"00:01:30.500"``; inside the program they are integer
milliseconds. A segment with a ``duration`` either advances at its end (``overrun: advance``) or holds and shows the
overrun until the operator takes the next one (``overrun: hold``); a segment without a duration waits for the operator.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from streamkit.config.loader import SpecModel, load_spec

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")


def parse_ms(value: Any) -> int:
    """``90`` / ``"90s"`` / ``"1:30"`` / ``"00:01:30.5"`` / ``"500ms"`` -> milliseconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        match = _CLOCK.match(text)
        if text.replace(".", "", 1).isdigit():
            seconds = float(text)
        elif text.endswith("ms") and text[:-2].replace(".", "", 1).isdigit():
            seconds = float(text[:-2]) / 1000
        elif text.endswith("s") and text[:-1].replace(".", "", 1).isdigit():
            seconds = float(text[:-1])
        elif text.endswith("min") and text[:-3].replace(".", "", 1).isdigit():
            seconds = float(text[:-3]) * 60
        elif match:
            hours, minutes, secs = match.groups()
            seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
        else:
            raise ValueError(f"{value!r} is not a duration (use 90, '90s', '1:30' or '00:01:30.5')")
    else:
        raise ValueError("expected a duration")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return round(seconds * 1000)


Millis = Annotated[int, BeforeValidator(parse_ms)]


class _Cue(SpecModel):
    at: Millis = 0  # offset inside the segment


class ShowCue(_Cue):
    show: str  # source name in the segment's scene


class HideCue(_Cue):
    hide: str


class LowerThird(SpecModel):
    name: str
    detail: str = ""
    source: str = "字幕条"  # image source that shows the rendered PNG


class LowerThirdCue(_Cue):
    lower_third: LowerThird


class MediaCue(_Cue):
    media: Literal["play", "pause", "stop", "restart"]
    source: str


class MuteCue(_Cue):
    mute: str


class UnmuteCue(_Cue):
    unmute: str


class Volume(SpecModel):
    source: str
    db: float = Field(le=26, ge=-100)


class VolumeCue(_Cue):
    volume: Volume


Cue = ShowCue | HideCue | LowerThirdCue | MediaCue | MuteCue | UnmuteCue | VolumeCue


def cue_kind(cue: Cue) -> str:
    return {
        ShowCue: "show",
        HideCue: "hide",
        LowerThirdCue: "lower_third",
        MediaCue: "media",
        MuteCue: "mute",
        UnmuteCue: "unmute",
        VolumeCue: "volume",
    }[type(cue)]


def cue_target(cue: Cue) -> str:
    """The OBS source a cue acts on (preflight checks it exists in the segment's scene)."""
    if isinstance(cue, ShowCue):
        return cue.show
    if isinstance(cue, HideCue):
        return cue.hide
    if isinstance(cue, LowerThirdCue):
        return cue.lower_third.source
    if isinstance(cue, MuteCue):
        return cue.mute
    if isinstance(cue, UnmuteCue):
        return cue.unmute
    if isinstance(cue, VolumeCue):
        return cue.volume.source
    return cue.source


class Outputs(SpecModel):
    """Stream and recording changes when a segment starts (after its scene is on air) or ends."""

    stream: Literal["start", "stop"] | None = None
    record: Literal["start", "stop"] | None = None


class Segment(SpecModel):
    name: str = Field(min_length=1)
    scene: str = Field(min_length=1)
    duration: Millis | None = None
    overrun: Literal["advance", "hold"] = "advance"
    countdown: str | None = None  # image source that shows the time left (the minute of silence)
    on_start: Outputs = Outputs()
    on_end: Outputs = Outputs()
    cues: list[Cue] = Field(default_factory=list)

    @property
    def manual(self) -> bool:
        return self.duration is None

    @property
    def auto_advances(self) -> bool:
        return self.duration is not None and self.overrun == "advance"

    @model_validator(mode="after")
    def _cues_inside(self) -> Segment:
        if self.duration is not None:
            for cue in self.cues:
                if cue.at > self.duration:
                    raise ValueError(
                        f"a cue at {cue.at / 1000:g} s is after the segment ends ({self.duration / 1000:g} s)"
                    )
        if self.countdown is not None and self.duration is None:
            raise ValueError("'countdown' needs a 'duration'")
        return self


class Rundown(SpecModel):
    version: Literal[1]
    title: str
    venue: str = ""
    scheduled_start: datetime | None = None  # with a timezone, e.g. 2026-04-04T09:00:00+08:00
    stream_target: str | None = None  # a name under `targets:` in settings
    record: bool = True
    standby_scene: str = "待机"
    name_roll: Path | None = None  # register CSV (or register:CEMETERY/SECTION) whose names the 英名录 lists
    segments: list[Segment] = Field(min_length=1)

    @field_validator("scheduled_start")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a timezone, e.g. 2026-04-04T09:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _outputs_consistent(self) -> Rundown:
        outputs = [o for s in self.segments for o in (s.on_start, s.on_end)]
        if self.stream_target is None and any(o.stream == "start" for o in outputs):
            raise ValueError("a segment starts the stream but no 'stream_target' is named")
        if not self.record and any(o.record for o in outputs):
            raise ValueError("'record: false' but a segment starts or stops the recording")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError("segment names must be unique")
        return self

    @property
    def planned_ms(self) -> int:
        return sum(s.duration or 0 for s in self.segments)

    def scaled(self, factor: float) -> Rundown:
        """The same rundown with every duration and cue offset multiplied (rehearsals and tests at short times)."""
        segments = []
        for s in self.segments:
            cues = [c.model_copy(update={"at": round(c.at * factor)}) for c in s.cues]
            duration = None if s.duration is None else round(s.duration * factor)
            segments.append(s.model_copy(update={"duration": duration, "cues": cues}))
        return self.model_copy(update={"segments": segments})


def load_rundown(path: str | Path) -> Rundown:
    return load_spec(path, Rundown)
