"""Prerequisite chains between custom services: at most 25 services deep, never a cycle.

The graph is given as `requires[service] -> services it requires first`. A chain is counted in
services, so A -> B -> ... -> Y (25 services) is the longest allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from app.domain.errors import DomainError, ErrorCode

MAX_CHAIN_LENGTH = 25
FIELD = "requiredCustomServices"


def _find_path(requires: Mapping[str, Sequence[str]], start: str, goal: str) -> list[str] | None:
    """A path start -> ... -> goal following requirements, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend((nxt, [*path, nxt]) for nxt in reversed(requires.get(node, ())))
    return None


def check_prerequisites(
    service_id: str,
    required_ids: Sequence[str],
    requires: Mapping[str, Sequence[str]],
    label: Mapping[str, str] | None = None,
) -> None:
    """Refuse giving `service_id` the prerequisites `required_ids` if that makes a cycle or a
    chain longer than 25. `requires` is the tenant's graph before the change."""
    labels = label or {}

    def name(ident: str) -> str:
        return labels.get(ident, ident)

    graph: dict[str, Sequence[str]] = {k: tuple(v) for k, v in requires.items()}
    graph[service_id] = tuple(required_ids)

    for required in required_ids:
        back = _find_path(graph, required, service_id)
        if back is not None:
            chain = " -> ".join(name(i) for i in [service_id, *back])
            raise DomainError.one(
                ErrorCode.VALIDATION_FAILED,
                f"Requiring these services would make a cycle: {chain}.",
                FIELD,
            )

    longest = longest_chain_through(service_id, graph)
    if len(longest) > MAX_CHAIN_LENGTH:
        chain = " -> ".join(name(i) for i in longest)
        raise DomainError.one(
            ErrorCode.LIMIT_EXCEEDED,
            f"The prerequisite chain would be {len(longest)} services deep "
            f"(at most {MAX_CHAIN_LENGTH}): {chain}.",
            FIELD,
        )


def longest_chain_through(service_id: str, requires: Mapping[str, Sequence[str]]) -> list[str]:
    """The longest chain of services (in requirement order) that passes through `service_id`.
    The graph must be acyclic."""
    required_by: dict[str, list[str]] = {}
    for parent, children in requires.items():
        for child in children:
            required_by.setdefault(child, []).append(parent)

    @cache
    def down(node: str) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for child in requires.get(node, ()):
            candidate = down(child)
            if len(candidate) > len(best):
                best = candidate
        return (node, *best)

    @cache
    def up(node: str) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for parent in required_by.get(node, ()):
            candidate = up(parent)
            if len(candidate) > len(best):
                best = candidate
        return (*best, node)

    return [*up(service_id)[:-1], *down(service_id)]
