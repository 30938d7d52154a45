"""The site's modules import one way: blueprints and helpers use ``extensions``, only the factory assembles."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import streamkit.web

PACKAGE = Path(streamkit.web.__file__).parent


def web_imports() -> dict[str, set[str]]:
    """Each streamkit.web module and the streamkit.web modules it imports anywhere, function bodies included."""
    modules = {f"streamkit.web.{path.stem}": path for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = (found & modules.keys()) - {name}
    return graph


def test_no_import_circles_in_the_site() -> None:
    graph = web_imports()
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle: {exc.args[1]}") from None
    assert graph["streamkit.web.extensions"] == set()  # the leaf


def test_only_the_command_line_imports_the_factory() -> None:
    importers = {name for name, deps in web_imports().items() if "streamkit.web.app" in deps}
    assert importers == {"streamkit.web.cli"}
