"""The packages of `app`, and the areas of `app/graphql` (its sub-packages and modules), depend
on each other in one direction only: no two import each other, directly or round a longer loop,
counting imports made inside functions and under TYPE_CHECKING as well (a cycle hidden in a
function is still a cycle)."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _package_of(module: str) -> str:
    """`app.graphql.trees.queries` → `app.graphql`; `app.metrics` → `app.metrics`."""
    return ".".join(module.split(".")[:2])


def _area_of(module: str) -> str | None:
    """`app.graphql.trees.queries` → `app.graphql.trees`; `app.graphql.cost` → itself;
    None outside `app.graphql`'s areas (`app.graphql` itself included)."""
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["app", "graphql"] and len(parts) > 2 else None


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("app.")}


def _graph(group: Callable[[str], str | None]) -> dict[str, set[str]]:
    """Which group imports which, each module counted in its group (`group` gives None for a
    module outside every group)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in APP.rglob("*.py"):
        here = group(_module_name(path))
        if here is None:
            continue
        for imported in _imports(path):
            there = group(imported)
            if there is not None and there != here and there != "app":
                graph[here].add(there)
    return graph


def _package_graph() -> dict[str, set[str]]:
    return _graph(_package_of)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    cycles.append(path)
                elif nxt not in path and nxt > start:
                    stack.append((nxt, [*path, nxt]))
    return cycles


def test_no_cycle_between_the_packages_of_app() -> None:
    assert _cycles(_package_graph()) == []


def test_no_cycle_between_the_areas_of_app_graphql() -> None:
    graph = _graph(_area_of)
    assert {"app.graphql.service_jobs", "app.graphql.trees"} <= set(graph), "areas found"
    assert _cycles(graph) == []


def test_the_layers_point_downwards() -> None:
    graph = _package_graph()
    assert graph["app.domain"] <= set(), "the domain imports nothing of the app"
    for lower in ("app.db", "app.repositories", "app.services", "app.events"):
        assert not graph[lower] & {"app.graphql", "app.http"}, lower
    assert "app.http" not in graph["app.graphql"]


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
