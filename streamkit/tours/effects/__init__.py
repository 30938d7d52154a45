"""Python effects on a stop's picture: ``package.module:function`` callables that take and return a moviepy clip.

A stop lists ``effects: [{use: package.module:function, params: {...}}]``. The function is called as
``function(clip, **params)`` with the stop's picture (a moviepy ``VideoClip`` at the output size and frame rate,
``clip.fps`` set, the stop's own sound attached when it has any) and returns a clip; effects run in order.

Parameters are checked against the function's signature before anything renders: unknown or missing names and
values of the wrong type are ``tour check`` problems at the spec's line. A parameter annotated ``Path`` is a
media path: it is resolved against the tour's ``media_root``, must exist, and its content is part of the cache key.
Modules are imported from the installed packages, the spec's folder and the media root.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from streamkit.config.loader import Loc
from streamkit.errors import StreamkitError
from streamkit.media.checksum import file_sha256
from streamkit.tours.spec import Effect, Tour


class EffectProblem(Exception):
    """An effect that cannot be used as written; ``where`` is relative to the effect entry in the spec."""

    def __init__(self, where: Loc, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class ResolvedEffect:
    """An effect ready to call: the function, its checked parameters, and a digest of its source for the cache."""

    use: str
    function: Callable[..., Any]
    params: dict[str, Any] = field(default_factory=dict)
    source_digest: str = ""
    file_digests: tuple[str, ...] = ()

    def __call__(self, clip: Any) -> Any:
        return self.function(clip, **self.params)


@contextmanager
def _import_path(folders: Sequence[Path]) -> Iterator[None]:
    added = [str(f) for f in folders if str(f) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for folder in added:
            sys.path.remove(folder)


def _function(use: str, folders: Sequence[Path]) -> Callable[..., Any]:
    module_name, _, attribute = use.partition(":")
    try:
        with _import_path(folders):
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise EffectProblem(("use",), f"cannot import {module_name!r} ({exc})") from None
    except Exception as exc:  # an editor's module may fail in any way while importing; say which and why
        raise EffectProblem(("use",), f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    function = getattr(module, attribute, None)
    if function is None:
        raise EffectProblem(("use",), f"{module_name!r} has no {attribute!r}")
    if not callable(function):
        raise EffectProblem(("use",), f"{use} is not a function")
    return typing.cast(Callable[..., Any], function)


def _is_path(hint: Any) -> bool:
    """``Path``, or a union with ``Path`` in it (``Path | None``)."""
    return hint is Path or Path in typing.get_args(hint)


def _source_digest(function: Callable[..., Any]) -> str:
    """The digest of the file that defines ``function`` (edit the effect, and its stops render again)."""
    module = inspect.getmodule(function)
    source = getattr(module, "__file__", None)
    if source and Path(source).is_file():
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()
    return hashlib.sha256(getattr(function, "__qualname__", repr(function)).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return file_sha256(path)


def resolve_effect(effect: Effect, tour: Tour, spec_dir: Path) -> ResolvedEffect:
    """Import the effect and check its parameters; raise ``EffectProblem`` naming what is wrong."""
    function = _function(effect.use, [spec_dir, tour.root])
    try:
        signature = inspect.signature(function, eval_str=True)
    except (NameError, TypeError, ValueError):
        signature = inspect.signature(function)  # annotations that cannot be evaluated are not type-checked
    params = list(signature.parameters.values())
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        raise EffectProblem(("use",), f"{effect.use} must take the clip as its first parameter")
    named = {p.name: p for p in params[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params)
    for name in effect.params:
        if name not in named and not takes_any:
            choices = ", ".join(named) or "no parameters"
            raise EffectProblem(("params", name), f"unknown parameter for {effect.use}; it takes: {choices}")
    for name, p in named.items():
        if p.default is p.empty and name not in effect.params:
            raise EffectProblem(("params",), f"{effect.use} needs the parameter {name!r}")
    checked: dict[str, Any] = {}
    files: list[str] = []
    for name, value in effect.params.items():
        hint = named[name].annotation if name in named else inspect.Parameter.empty
        if hint is inspect.Parameter.empty or isinstance(hint, str):
            checked[name] = value
            continue
        try:
            checked[name] = TypeAdapter(hint).validate_python(value)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].lower()
            raise EffectProblem(("params", name), f"{value!r} is not valid: {reason}") from None
        if _is_path(hint) and checked[name] is not None:
            path = tour.resolve(str(checked[name]))
            if not path.is_file():
                raise EffectProblem(("params", name), f"{value}: file not found (relative to media_root)")
            checked[name] = path
            files.append(_file_digest(path))
    return ResolvedEffect(effect.use, function, checked, _source_digest(function), tuple(files))


def stop_effects(tour: Tour, k: int, spec_dir: Path) -> list[ResolvedEffect]:
    """The resolved effects of stop ``k``; raises ``EffectProblem`` with its location in the spec."""
    resolved = []
    for j, effect in enumerate(tour.stops[k].effects):
        try:
            resolved.append(resolve_effect(effect, tour, spec_dir))
        except EffectProblem as problem:
            raise EffectProblem(("stops", k, "effects", j, *problem.where), problem.message) from None
    return resolved


def effect_problems(tour: Tour, spec_dir: Path) -> list[tuple[Loc, str]]:
    """Every effect problem of the tour (one per stop at most: a stop's later effects depend on earlier ones)."""
    problems = []
    for k, stop in enumerate(tour.stops):
        if stop.effects:
            try:
                stop_effects(tour, k, spec_dir)
            except EffectProblem as problem:
                problems.append((problem.where, problem.message))
    return problems


def apply_effects(clip: Any, effects: Sequence[ResolvedEffect]) -> Any:
    for effect in effects:
        clip = effect(clip)
        if clip is None or not hasattr(clip, "get_frame"):
            raise StreamkitError(f"effect {effect.use} returned {type(clip).__name__}, not a moviepy clip")
    return clip
