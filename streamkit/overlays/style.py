"""Overlay styles: YAML files under ``overlays/styles/`` parsed once into frozen models.

Every size is a fraction of the frame's shorter side (``unit``), so a style written for 1920x1080 gives the same
text size on a 1080x1920 portrait frame, where it is measured against the width instead of the much taller height.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from streamkit.config.loader import SpecModel, load_spec
from streamkit.errors import ConfigError

Rgba = tuple[int, int, int, int]

_HEX = re.compile(r"^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")


def parse_colour(value: object) -> object:
    """``"#RRGGBB"`` or ``"#RRGGBBAA"`` -> an RGBA tuple; anything else is left for pydantic to refuse."""
    if not isinstance(value, str):
        return value
    match = _HEX.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a colour like '#C8A45A' or '#0A0A0ACC'")
    rgb, alpha = match.group(1), match.group(2) or "FF"
    return (int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16), int(alpha, 16))


Colour = Annotated[tuple[int, int, int, int], BeforeValidator(parse_colour)]
Share = Annotated[float, Field(gt=0, le=1)]


class FontSpec(SpecModel):
    family: str = "Noto Sans CJK SC"
    weight: Literal["regular", "bold"] = "regular"


class Fonts(SpecModel):
    text: FontSpec = FontSpec()
    names: FontSpec = FontSpec(weight="bold")


class Colours(SpecModel):
    text: Colour = (255, 255, 255, 255)
    muted: Colour = (217, 212, 199, 255)
    accent: Colour = (200, 164, 90, 255)
    background: Colour = (0, 0, 0, 255)
    panel: Colour = (10, 10, 10, 204)


class Margins(SpecModel):
    x: Annotated[float, Field(ge=0, lt=0.5)] = 0.05
    y: Annotated[float, Field(ge=0, lt=0.5)] = 0.05


class SafeArea(SpecModel):
    landscape: Margins = Margins()
    portrait: Margins = Margins(x=0.06, y=0.12)


class LowerThirdStyle(SpecModel):
    name_size: Share = 0.058
    detail_size: Share = 0.034
    padding: Share = 0.022
    rule_width: Share = 0.005
    line_gap: Share = 0.012
    max_width: Share = 0.62
    max_detail_lines: Annotated[int, Field(ge=1, le=4)] = 2


class RuleStyle(SpecModel):
    """The short gold rules above and below a slate's text."""

    length: Share = 0.22
    width: Share = 0.003


class TitleSlateStyle(SpecModel):
    title_size: Share = 0.075
    line_size: Share = 0.045
    line_gap: Share = 0.03
    rule: RuleStyle = RuleStyle()


class StandbySlateStyle(SpecModel):
    message: str = "仪式即将开始，请稍候"
    message_size: Share = 0.05
    rule: RuleStyle = RuleStyle(length=0.16)


class CountdownStyle(SpecModel):
    title_size: Share = 0.045
    digits_size: Share = 0.13
    padding: Share = 0.03
    rule_width: Share = 0.003


class NameRollStyle(SpecModel):
    title: str = "英名录"
    title_size: Share = 0.06
    name_size: Share = 0.048
    detail_size: Share = 0.026
    row_gap: Share = 0.03
    column_gap: Share = 0.06
    speed: Annotated[float, Field(gt=0, le=2)] = 0.06


class Timings(SpecModel):
    fade_in_ms: Annotated[int, Field(ge=0, le=10_000)] = 600
    fade_out_ms: Annotated[int, Field(ge=0, le=10_000)] = 800


class OverlayStyle(SpecModel):
    """One look for every overlay kind; defaults equal ``overlays/styles/memorial.yaml``."""

    version: Literal[1] = 1
    name: str = "memorial"
    fonts: Fonts = Fonts()
    colours: Colours = Colours()
    safe_area: SafeArea = SafeArea()
    lower_third: LowerThirdStyle = LowerThirdStyle()
    title_slate: TitleSlateStyle = TitleSlateStyle()
    standby_slate: StandbySlateStyle = StandbySlateStyle()
    countdown: CountdownStyle = CountdownStyle()
    name_roll: NameRollStyle = NameRollStyle()
    timings: Timings = Timings()


DEFAULT_STYLE = "memorial"


def styles_dirs(styles_dir: Path | None = None) -> tuple[Path, ...]:
    """Where named styles are looked up: ``styles_dir`` (settings ``overlays.styles_dir``), ``./overlays/styles``,
    then the styles that come with streamkit."""
    dirs = [styles_dir] if styles_dir is not None else []
    dirs.append(Path.cwd() / "overlays" / "styles")
    dirs.append(Path(__file__).resolve().parents[2] / "overlays" / "styles")
    return tuple(dict.fromkeys(dirs))


def load_style(name_or_path: str | Path = "memorial", *, styles_dir: Path | None = None) -> OverlayStyle:
    """Load a style by name (``memorial``) or by the path of a YAML file."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        return load_spec(Path(text), OverlayStyle)
    for folder in styles_dirs(styles_dir):
        candidate = folder / f"{text}.yaml"
        if candidate.is_file():
            return load_spec(candidate, OverlayStyle)
    if text == DEFAULT_STYLE:
        # an installed package without the repository's overlays/ folder: the model's defaults are this style
        return OverlayStyle()
    known = sorted({p.stem for d in styles_dirs(styles_dir) if d.is_dir() for p in d.glob("*.yaml")})
    raise ConfigError.single(
        text, f"no overlay style of that name (known: {', '.join(known) or 'none'}); pass a .yaml path instead"
    )
