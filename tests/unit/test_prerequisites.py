"""Prerequisite chains: at most 25 services deep, never a cycle, refusals name the chain."""

from __future__ import annotations

import pytest

from app.domain.errors import DomainError, ErrorCode
from app.domain.prerequisites import MAX_CHAIN_LENGTH, check_prerequisites, longest_chain_through


def chain(n: int) -> dict[str, list[str]]:
    """s0 requires s1 requires ... s(n-1): a chain of n services."""
    return {f"s{i}": [f"s{i + 1}"] for i in range(n - 1)}


def test_a_chain_of_25_services_is_allowed() -> None:
    graph = chain(24)  # s0 .. s23
    check_prerequisites("s23", ["s24"], graph)  # now 25 services: s0 .. s24


def test_a_chain_of_26_services_is_refused_with_the_chain_named() -> None:
    graph = chain(25)  # s0 .. s24
    with pytest.raises(DomainError) as refused:
        check_prerequisites("s24", ["s25"], graph)
    problem = refused.value.problems[0]
    assert problem.code is ErrorCode.LIMIT_EXCEEDED
    assert problem.field == "requiredCustomServices"
    assert "26 services deep" in problem.message
    assert "s0 -> s1 -> " in problem.message and problem.message.endswith("s24 -> s25.")


def test_the_depth_counts_services_above_and_below_the_changed_one() -> None:
    graph = {**chain(13), "t0": [f"t{1}"]}
    graph.update({f"t{i}": [f"t{i + 1}"] for i in range(12)})  # t0 .. t12: 13 services
    # s0..s12 above, t0..t12 below: linking s12 -> t0 makes 26.
    with pytest.raises(DomainError):
        check_prerequisites("s12", ["t0"], graph)
    # One fewer below is fine.
    check_prerequisites("s12", ["t1"], graph)


def test_requiring_oneself_is_a_cycle() -> None:
    with pytest.raises(DomainError) as refused:
        check_prerequisites("a", ["a"], {})
    assert refused.value.problems[0].code is ErrorCode.VALIDATION_FAILED
    assert "a -> a" in refused.value.problems[0].message


def test_a_longer_cycle_is_refused_with_its_path_and_labels() -> None:
    graph = {"a": ["b"], "b": ["c"]}
    with pytest.raises(DomainError) as refused:
        check_prerequisites("c", ["a"], graph, {"a": "A", "b": "B", "c": "C"})
    assert "C -> A -> B -> C" in refused.value.problems[0].message


def test_diamonds_are_not_cycles() -> None:
    graph = {"a": ["b", "c"], "b": ["d"], "c": []}
    check_prerequisites("c", ["d"], graph)


def test_longest_chain_through_a_node() -> None:
    graph = {"a": ["b"], "b": ["c"], "x": ["b"], "c": ["d"]}
    assert longest_chain_through("b", graph) in (["a", "b", "c", "d"], ["x", "b", "c", "d"])
    assert len(longest_chain_through("a", chain(MAX_CHAIN_LENGTH) | {"a": []})) == 1
