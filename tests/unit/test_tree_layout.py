"""The tree page's outline: every node once, under its parent, levels folded to fit a view."""

from __future__ import annotations

import random
from collections import Counter

from app.http.tree_layout import FIRST_VIEW_JOBS, levels_to_open, outline


def test_an_empty_tree_has_no_nodes() -> None:
    shape = outline([], [])
    assert shape.roots == [] and shape.per_level == [] and shape.preorder() == []


def test_a_chain_nests_one_level_per_node() -> None:
    shape = outline(["a", "b", "c"], [("a", "b"), ("b", "c")])
    assert shape.roots == ["a"]
    assert shape.children == {"a": ["b"], "b": ["c"], "c": []}
    assert [shape.level[n] for n in "abc"] == [0, 1, 2]
    assert shape.beneath == {"a": 2, "b": 1, "c": 0}
    assert shape.per_level == [1, 1, 1]


def test_children_keep_their_order_and_the_walk_is_preorder() -> None:
    edges = [("r1", "x"), ("r2", "y"), ("r1", "z"), ("x", "x1"), ("y", "y1")]
    shape = outline(["r1", "r2", "x", "y", "z", "x1", "y1"], edges)
    assert shape.roots == ["r1", "r2"]
    assert shape.children["r1"] == ["x", "z"]
    assert shape.preorder() == ["r1", "x", "x1", "z", "r2", "y", "y1"]
    assert shape.beneath["r1"] == 3 and shape.beneath["r2"] == 2


def test_bad_input_still_shows_every_node_once() -> None:
    edges = [("a", "b"), ("b", "a"), ("c", "missing"), ("c", "c"), ("d", "e"), ("f", "e")]
    shape = outline(["a", "b", "c", "d", "e", "f", "d"], edges)
    assert sorted(shape.preorder()) == ["a", "b", "c", "d", "e", "f"]
    assert shape.level["e"] == 1 and shape.children["d"] == ["e"]  # its first parent wins
    assert shape.children["f"] == []
    assert {shape.level[n] for n in ("a", "b")} == {0, 1}  # a cycle gets a root
    assert sum(shape.per_level) == 6


def test_the_first_view_unfolds_as_many_levels_as_fit() -> None:
    assert levels_to_open([1, 2, 3]) == 3  # a small tree shows whole
    assert levels_to_open([1, 4, 12, 13, 11]) == 2  # root, 4 prerequisites, their 12
    assert levels_to_open([1, 60, 100]) == 1  # at least the root's prerequisites
    assert levels_to_open([1, 4, 12], budget=5) == 1
    assert levels_to_open([]) == 0


def test_a_big_random_tree_keeps_every_node_beneath_its_parent() -> None:
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
    shape = outline(nodes, edges)
    order = shape.preorder()
    assert sorted(order) == sorted(nodes)
    assert all(shape.level[n] == depth[n] for n in nodes)
    position = {node: index for index, node in enumerate(order)}
    for parent, child in edges:
        assert position[parent] < position[child] <= position[parent] + shape.beneath[parent]
    assert shape.beneath["n0"] == 999
    assert shape.per_level == [Counter(depth.values())[n] for n in range(len(shape.per_level))]
    shown = sum(shape.per_level[: levels_to_open(shape.per_level) + 1])
    assert shown <= FIRST_VIEW_JOBS or levels_to_open(shape.per_level) == 1
