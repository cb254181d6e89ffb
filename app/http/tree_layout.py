"""A layered layout for a tree of nodes, computed without any client-side code.

Level = depth in the tree (roots on level 0). Within a level nodes keep the order of a preorder
walk, so no two edges cross, and sit at least one slot apart; the picture is as wide as the
widest level. Within those rules a few sweeps move every node as close as they can (least
squares) to where it wants to be: downwards, children centred under their parent; upwards, a
parent centred over its children. Positions are in abstract units: one slot per node width, one
level per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Down-and-up passes; a handful settles a 1,000-node tree.
SWEEPS = 4


@dataclass(frozen=True, slots=True)
class Position:
    level: int
    #: Horizontal position in slots; nodes of one level are at least one slot apart.
    slot: float


@dataclass(frozen=True, slots=True)
class Layout:
    positions: dict[str, Position]
    #: Slots needed from 0 to the right edge of the rightmost node.
    width: float
    #: Number of levels.
    depth: int


def layout(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> Layout:
    """Positions of `nodes` given `edges` as (parent, child) pairs.

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

    rows: list[list[str]] = []
    level_of: dict[str, int] = {}
    starts = [node for node in order if node not in parent] + order
    for start in starts:
        if start in level_of:
            continue
        stack = [(start, 0)]
        while stack:
            node, level = stack.pop()
            if node in level_of:
                continue
            level_of[node] = level
            if level == len(rows):
                rows.append([])
            rows[level].append(node)
            stack.extend((child, level + 1) for child in reversed(children[node]))

    slot: dict[str, float] = {}
    widest = max((len(row) for row in rows), default=0)
    for row in rows:
        for index, node in enumerate(row):
            slot[node] = (widest - len(row)) / 2 + index
    for _ in range(SWEEPS):
        for row in rows[1:]:
            _place(
                row,
                [_under_parent(node, parent[node], children, slot) for node in row],
                slot,
                widest,
            )
        for row in reversed(rows[:-1]):
            wanted = [
                sum(slot[c] for c in children[node]) / len(children[node])
                if children[node]
                else slot[node]
                for node in row
            ]
            _place(row, wanted, slot, widest)

    if not slot:
        return Layout(positions={}, width=0, depth=0)
    left = min(slot.values())
    positions = {node: Position(level_of[node], slot[node] - left) for node in order}
    width = max(p.slot for p in positions.values()) + 1
    return Layout(positions=positions, width=width, depth=len(rows))


def _under_parent(
    node: str, up: str, children: dict[str, list[str]], slot: dict[str, float]
) -> float:
    """Where a child would like to be: its siblings and it centred under their parent."""
    siblings = children[up]
    return slot[up] - (len(siblings) - 1) / 2 + siblings.index(node)


def _place(row: list[str], wanted: list[float], slot: dict[str, float], widest: int) -> None:
    """Put a row's nodes as close as possible (least squares) to where they want to be, in
    order, at least one slot apart and within the widest row's span [0, widest - 1].

    With y_i = x_i - i the gaps become "y never decreases": an isotonic regression, solved by
    pooling adjacent violators; clamping y keeps it monotone and the row inside the span."""
    pools: list[tuple[float, int]] = []  # (mean, size)
    for index, want in enumerate(wanted):
        mean, size = want - index, 1
        while pools and pools[-1][0] > mean:
            last_mean, last_size = pools.pop()
            mean = (last_mean * last_size + mean * size) / (last_size + size)
            size += last_size
        pools.append((mean, size))
    top = widest - len(row)
    index = 0
    for mean, size in pools:
        y = min(max(mean, 0.0), float(top))
        for _ in range(size):
            slot[row[index]] = y + index
            index += 1
