"""The shape of a tree page: an outline of nodes, computed without any client-side code.

The page draws a tree as an indented outline: a job, then its prerequisites one level further
in, joined by elbow lines. That keeps every child right under its parent, makes the page as
wide as its deepest level (25 levels fit a laptop's window) and puts the root at the top left,
where the first view is. Levels below a threshold start folded (`<details>`), so a big tree
opens on its root and its neighbourhood; one click unfolds a branch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Jobs shown at first when the caller does not choose the levels: about one laptop screen.
FIRST_VIEW_JOBS = 24


@dataclass(frozen=True, slots=True)
class Outline:
    #: Nodes without a parent, in their given order.
    roots: list[str]
    children: dict[str, list[str]]
    #: Depth of each node (roots on level 0).
    level: dict[str, int]
    #: How many nodes lie beneath each node, at any depth.
    beneath: dict[str, int]
    #: Nodes per level.
    per_level: list[int]

    def preorder(self) -> list[str]:
        order: list[str] = []
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(self.children[node]))
        return order


def outline(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> Outline:
    """The outline of `nodes` given `edges` as (parent, child) pairs.

    Robust against bad input: edges naming unknown nodes or a node's second parent are
    ignored, and nodes that sit on a cycle (no root above them) start a tree of their own.
    """
    order = list(dict.fromkeys(nodes))
    known = set(order)
    parent: dict[str, str] = {}
    children: dict[str, list[str]] = {node: [] for node in order}
    for up, down in edges:
        if up in known and down in known and up != down and down not in parent:
            parent[down] = up
            children[up].append(down)

    roots: list[str] = []
    level: dict[str, int] = {}
    walked: list[str] = []
    starts = [node for node in order if node not in parent] + order
    for start in starts:
        if start in level:
            continue
        roots.append(start)
        stack = [(start, 0)]
        while stack:
            node, depth = stack.pop()
            if node in level:
                continue
            level[node] = depth
            walked.append(node)
            stack.extend((child, depth + 1) for child in reversed(children[node]))
    # A node on a cycle is walked once, from the first of its members taken as a root: the
    # edge back into that root is dropped, so every node appears exactly once.
    kept = {
        node: [child for child in children[node] if level[child] == level[node] + 1]
        for node in order
    }
    beneath: dict[str, int] = {}
    for node in reversed(walked):
        beneath[node] = sum(1 + beneath[c] for c in kept[node])
    per_level = [0] * (max(level.values(), default=-1) + 1)
    for depth in level.values():
        per_level[depth] += 1
    return Outline(roots=roots, children=kept, level=level, beneath=beneath, per_level=per_level)


def levels_to_open(per_level: list[int], budget: int = FIRST_VIEW_JOBS) -> int:
    """How many levels to unfold so that at most `budget` jobs show (at least the roots and
    their prerequisites): jobs on levels 0 … n show, those on level n have their own folded."""
    shown = 0
    for depth, count in enumerate(per_level):
        shown += count
        if shown > budget:
            return max(depth - 1, 1)
    return len(per_level)
