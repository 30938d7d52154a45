"""Read a versioned YAML file once, keep the line of every key, and validate it into a frozen model.

Every problem of a file is reported together, each as ``file:line: field.path: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from streamkit.errors import ConfigError, ConfigProblem

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class SpecModel(BaseModel):
    """Base of every model read from YAML: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class _LineLoader(yaml.CSafeLoader):
    """libyaml's SafeLoader that refuses duplicate keys instead of silently keeping the last one. (The C parser:
    a render reads its spec twice, and the pure-Python parser is far slower.)"""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_index(node: yaml.Node | None, loc: Loc = (), out: dict[Loc, int] | None = None) -> dict[Loc, int]:
    """Map every key path to the 1-based line where its value (or key) starts."""
    out = {} if out is None else out
    if node is None:
        return out
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*loc, key)] = key_node.start_mark.line + 1
            _line_index(value_node, (*loc, key), out)
            # the key's own line wins over its value's (a block list starts on the next line)
            out[(*loc, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*loc, i), out)
    return out


def read_yaml(path: Path, text: str | None = None) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text into plain data plus a line index; syntax errors become ConfigError."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError.single(path, "file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError.single(path, f"cannot read: {exc}") from None
    try:
        loader = _LineLoader(text)
        try:  # parsed once: the node gives the line index, and the data is constructed from it
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError.single(path, f"invalid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError.single(path, f"invalid YAML: {exc}") from None
    return data, _line_index(node)


def format_loc(loc: Sequence[str | int]) -> str:
    """``('stops', 2, 'duration')`` -> ``stops[2].duration``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _nearest_line(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


_MESSAGES = {
    "missing": "required",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
}


def _allowed_keys(model: type[BaseModel], loc: Loc, data: Any) -> list[str]:
    """The field names (and aliases) of the model found at ``loc`` (best effort, for suggestions)."""
    current: Any = model
    value = data
    for part in loc:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list):
            value = value[part] if isinstance(part, int) and 0 <= part < len(value) else None
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    """Find a BaseModel inside ``X | None``, ``list[X]``, ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _problem_message(err: Mapping[str, Any], model: type[BaseModel], parent: Loc, data: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        allowed = _allowed_keys(model, parent, data)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        return f"unknown key; did you mean '{close[0]}'?" if close else "unknown key"
    template = _MESSAGES.get(kind)
    if template:
        try:
            ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in err.get("ctx", {}).items()}
            return template.format(**ctx)
        except (KeyError, IndexError):
            pass
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg[:1].lower() + msg[1:]


def problems_from_validation(
    exc: ValidationError, file: str, lines: Mapping[Loc, int], model: type[BaseModel], data: Any
) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        # tagged unions add the tag to the loc path; drop non-key parts pydantic inserts
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
        loc = _drop_union_tags(loc, data)
        parent = loc[:-1] if err["type"] == "extra_forbidden" else loc
        problems.append(
            ConfigProblem(file, _nearest_line(lines, loc), format_loc(loc), _problem_message(err, model, parent, data))
        )
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return problems


def _drop_union_tags(loc: Loc, data: Any) -> Loc:
    """Keep only the parts of ``loc`` that are real keys or indexes in ``data``."""
    kept: list[str | int] = []
    value = data
    for part in loc:
        if isinstance(value, dict) and part in value:
            kept.append(part)
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            kept.append(part)
            value = value[part]
        elif not isinstance(value, dict | list):
            break
        elif isinstance(value, dict) and not isinstance(part, int):
            # a missing key: report it under its name
            kept.append(part)
            value = None
    return tuple(kept)


def parse_spec(
    path: str | Path,
    versions: Mapping[int, type[M]],
    *,
    text: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> M:
    """Read ``path`` and validate it with the model registered for its ``version:``."""
    path = Path(path)
    data, lines = read_yaml(path, text)
    shown = _display_path(path)
    if not isinstance(data, dict):
        raise ConfigError.single(shown, "expected a mapping of keys at the top level", line=1)
    version = data.get("version")
    if version is None:
        raise ConfigError.single(shown, f"missing 'version:' (this streamkit reads version {max(versions)})", line=1)
    model = versions.get(version) if isinstance(version, int) else None
    if model is None:
        known = ", ".join(str(v) for v in sorted(versions))
        raise ConfigError.single(
            shown,
            f"unsupported version {version!r}; this streamkit reads {known}",
            line=lines.get(("version",)),
        )
    try:
        return model.model_validate(data, context=dict(context or {}, source=path))
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, shown, lines, model, data)) from None


def load_spec(path: str | Path, model: type[M], **kwargs: Any) -> M:
    """Load a ``version: 1`` file into ``model``."""
    return parse_spec(path, {1: model}, **kwargs)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
