"""The tree view's layered layout: levels are depths, rows keep preorder, nothing overlaps."""

from __future__ import annotations

import random
import time
from collections import Counter
from itertools import pairwise

from app.http.tree_layout import Position, layout


def _check_rows(positions: dict[str, Position], order: list[str]) -> None:
    """No two nodes of a level closer than one slot."""
    rows: dict[int, list[float]] = {}
    for node in order:
        rows.setdefault(positions[node].level, []).append(positions[node].slot)
    for row in rows.values():
        slots = sorted(row)
        assert all(b - a >= 1 - 1e-9 for a, b in pairwise(slots))


def test_an_empty_tree_has_no_positions() -> None:
    placed = layout([], [])
    assert placed.positions == {} and placed.width == 0 and placed.depth == 0


def test_a_chain_is_one_column_one_level_per_node() -> None:
    placed = layout(["a", "b", "c"], [("a", "b"), ("b", "c")])
    assert [placed.positions[n].level for n in "abc"] == [0, 1, 2]
    assert {placed.positions[n].slot for n in "abc"} == {0.0}
    assert placed.width == 1 and placed.depth == 3


def test_a_parent_sits_centred_over_its_children() -> None:
    placed = layout(["p", "a", "b", "c"], [("p", "a"), ("p", "b"), ("p", "c")])
    p, a, b, c = (placed.positions[n] for n in "pabc")
    assert (p.level, a.level, b.level, c.level) == (0, 1, 1, 1)
    assert a.slot < b.slot < c.slot
    assert p.slot == b.slot == 1.0
    assert placed.width == 3


def test_rows_follow_the_preorder_so_edges_do_not_cross() -> None:
    # Two subtrees: the children of the left root come before those of the right one.
    edges = [("r1", "x"), ("r2", "y"), ("r1", "z"), ("x", "x1"), ("y", "y1")]
    order = ["r1", "r2", "x", "y", "z", "x1", "y1"]
    placed = layout(order, edges)
    pos = placed.positions
    assert pos["r1"].slot < pos["r2"].slot
    assert pos["x"].slot < pos["z"].slot < pos["y"].slot
    assert pos["x1"].slot < pos["y1"].slot
    _check_rows(pos, order)


def test_bad_input_still_places_every_node_once() -> None:
    edges = [("a", "b"), ("b", "a"), ("c", "missing"), ("c", "c"), ("d", "e"), ("f", "e")]
    placed = layout(["a", "b", "c", "d", "e", "f", "d"], edges)
    assert set(placed.positions) == {"a", "b", "c", "d", "e", "f"}
    assert placed.positions["e"].level == 1  # its first parent (d) wins
    assert {placed.positions[n].level for n in ("a", "b")} == {0, 1}  # a cycle gets a root
    _check_rows(placed.positions, ["a", "b", "c", "d", "e", "f"])


def test_a_big_random_tree_is_laid_out_quickly_and_without_overlaps() -> None:
    rng = random.Random(7)
    nodes = ["n0"]
    edges: list[tuple[str, str]] = []
    depth = {"n0": 0}
    for i in range(1, 1000):
        parent = rng.choice([n for n in nodes[-60:] if depth[n] < 24] or nodes[:1])
        node = f"n{i}"
        nodes.append(node)
        depth[node] = depth[parent] + 1
        edges.append((parent, node))
    started = time.perf_counter()
    placed = layout(nodes, edges)
    assert time.perf_counter() - started < 1.0
    assert len(placed.positions) == 1000
    assert all(placed.positions[n].level == depth[n] for n in nodes)
    assert min(p.slot for p in placed.positions.values()) == 0
    assert placed.width == max(p.slot for p in placed.positions.values()) + 1
    widest = max(Counter(depth.values()).values())
    assert placed.width == widest  # as wide as the widest level, not wider
    _check_rows(placed.positions, nodes)
