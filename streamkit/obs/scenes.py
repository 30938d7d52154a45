"""Scenes as code: the ``scenes/*.yaml`` spec (version 1) and how each source becomes OBS input settings.

Media paths are relative to a media root (``obs.media_root`` in settings, default ``var/samples``, where
``streamkit samples`` writes); an image source may instead name a live ``overlay`` that cues render into
``obs.overlay_dir`` (``<overlay_dir>/<name>.png``), because OBS's FreeType text drops CJK glyphs when updated on Linux
(obs-studio#11819). Every input streamkit creates carries ``streamkit_owned: true`` in its settings; ``obs apply``
only changes or removes what carries that mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from streamkit.config.loader import SpecModel, load_spec
from streamkit.errors import ConfigError, ConfigProblem

OWNER_KEY = "streamkit_owned"

INPUT_KINDS = {
    "color": "color_source_v3",
    "image": "image_source",
    "media": "ffmpeg_source",
    "text": "text_ft2_source_v2",
    "browser": "browser_source",
}


class _Source(SpecModel):
    name: str = Field(min_length=1)


class ColorSource(_Source):
    kind: Literal["color"]
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
    width: int = Field(640, gt=0)
    height: int = Field(360, gt=0)


class ImageSource(_Source):
    """A picture file, or a live overlay (lower-third, countdown, slate) that cues render as PNG."""

    kind: Literal["image"]
    file: Path | None = None
    overlay: str | None = Field(None, pattern=r"^[a-z0-9-]+$")

    @field_validator("overlay")
    @classmethod
    def _one_of(cls, value: str | None, info: Any) -> str | None:
        if (value is None) == (info.data.get("file") is None):
            raise ValueError("give exactly one of 'file' or 'overlay'")
        return value


class MediaSource(_Source):
    kind: Literal["media"]
    file: Path
    loop: bool = False
    restart_on_activate: bool = True


class TextSource(_Source):
    """Static Latin text only; live or Chinese text goes through image overlays (obs-studio#11819)."""

    kind: Literal["text"]
    text: str
    font: str = "Noto Sans CJK SC"
    size: int = Field(32, gt=0)
    color: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")


class BrowserSource(_Source):
    kind: Literal["browser"]
    url: str
    width: int = Field(640, gt=0)
    height: int = Field(360, gt=0)


class InputSource(_Source):
    """Any other OBS input kind (capture devices...), with raw settings."""

    kind: Literal["input"]
    input_kind: str
    settings: dict[str, Any] = Field(default_factory=dict)


Source = Annotated[
    ColorSource | ImageSource | MediaSource | TextSource | BrowserSource | InputSource, Field(discriminator="kind")
]


class Crop(SpecModel):
    left: int = Field(0, ge=0)
    right: int = Field(0, ge=0)
    top: int = Field(0, ge=0)
    bottom: int = Field(0, ge=0)


class SceneItem(SpecModel):
    """A source placed in a scene; items are listed bottom to top."""

    source: str
    position: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] | None = None  # fit inside this box, keeping the aspect ratio
    crop: Crop = Crop()
    visible: bool = True


class Scene(SpecModel):
    name: str = Field(min_length=1)
    items: list[SceneItem] = Field(default_factory=list)


class ScenesFile(SpecModel):
    version: Literal[1]
    sources: list[Source] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)


@dataclass(frozen=True)
class SceneCollection:
    """Every scenes file of a folder, merged and cross-checked."""

    sources: tuple[Source, ...]
    scenes: tuple[Scene, ...]

    def source(self, name: str) -> Source:
        return next(s for s in self.sources if s.name == name)

    def scene(self, name: str) -> Scene | None:
        return next((s for s in self.scenes if s.name == name), None)


def load_scenes(paths: Iterable[Path]) -> SceneCollection:
    """Read scene files (a folder means its ``*.yaml``); report every problem across all files at once."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    if not files:
        raise ConfigError.single(", ".join(map(str, paths)), "no scene files (*.yaml) found")
    problems: list[ConfigProblem] = []
    sources: dict[str, Source] = {}
    scenes: dict[str, Scene] = {}
    for file in files:
        try:
            spec = load_spec(file, ScenesFile)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        for source in spec.sources:
            if source.name in sources:
                problems.append(ConfigProblem(str(file), None, "sources", f"source {source.name!r} defined twice"))
            sources[source.name] = source
        for scene in spec.scenes:
            if scene.name in scenes:
                problems.append(ConfigProblem(str(file), None, "scenes", f"scene {scene.name!r} defined twice"))
            scenes[scene.name] = scene
    for scene in scenes.values():
        for i, item in enumerate(scene.items):
            if item.source not in sources:
                problems.append(
                    ConfigProblem("scenes", None, f"{scene.name}.items.{i}.source", f"unknown source {item.source!r}")
                )
        names = [item.source for item in scene.items]
        if len(set(names)) != len(names):
            problems.append(ConfigProblem("scenes", None, scene.name, "a source is placed twice in one scene"))
    if problems:
        raise ConfigError(problems)
    return SceneCollection(tuple(sources.values()), tuple(scenes.values()))


def obs_color(hex_color: str) -> int:
    """``#RRGGBB[AA]`` to OBS's ABGR integer."""
    text = hex_color.lstrip("#")
    r, g, b = int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    a = int(text[6:8], 16) if len(text) == 8 else 255
    return (a << 24) | (b << 16) | (g << 8) | r


def overlay_path(overlay_dir: Path, name: str) -> Path:
    return (overlay_dir / f"{name}.png").resolve()


def overlay_of(path: Path, overlay_dir: Path) -> str | None:
    """The overlay a picture file shows: ``<dir>/lower-third.png`` and ``<dir>/lower-third-3.png`` -> lower-third."""
    if path.parent != overlay_dir or path.suffix != ".png":
        return None
    stem, _, number = path.stem.rpartition("-")
    return stem if number.isdigit() and stem else path.stem


def input_kind(source: Source) -> str:
    return source.input_kind if isinstance(source, InputSource) else INPUT_KINDS[source.kind]


def input_settings(source: Source, media_root: Path, overlay_dir: Path) -> dict[str, Any]:
    """The OBS settings for ``source``, with the ownership mark; paths resolved against the media root."""
    settings: dict[str, Any]
    if isinstance(source, ColorSource):
        settings = {"color": obs_color(source.color), "width": source.width, "height": source.height}
    elif isinstance(source, ImageSource):
        path = overlay_path(overlay_dir, source.overlay) if source.overlay else _media(media_root, source.file)
        settings = {"file": str(path)}
    elif isinstance(source, MediaSource):
        settings = {
            "local_file": str(_media(media_root, source.file)),
            "looping": source.loop,
            "restart_on_activate": source.restart_on_activate,
            "is_local_file": True,
        }
    elif isinstance(source, TextSource):
        settings = {
            "text": source.text,
            "font": {"face": source.font, "size": source.size, "style": "Regular", "flags": 0},
            "color1": obs_color(source.color),
            "color2": obs_color(source.color),
        }
    elif isinstance(source, BrowserSource):
        settings = {"url": source.url, "width": source.width, "height": source.height}
    else:
        settings = dict(source.settings)
    settings[OWNER_KEY] = True
    return settings


def media_files(collection: SceneCollection, media_root: Path) -> list[tuple[str, Path]]:
    """(source name, resolved path) of every file-backed source, for preflight."""
    found: list[tuple[str, Path]] = []
    for source in collection.sources:
        if isinstance(source, MediaSource | ImageSource) and source.file is not None:
            found.append((source.name, _media(media_root, source.file)))
    return found


def _media(media_root: Path, file: Path | None) -> Path:
    assert file is not None
    return (file if file.is_absolute() else media_root / file).resolve()
