"""Tree rules without a database: limits, readiness, cascades, inherited items."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import DomainError, ErrorCode
from app.domain.job_status import JobStatus
from app.domain.trees import (
    MAX_CHILDREN,
    MAX_DEPTH,
    Link,
    TreeShape,
    check_new_link,
    check_parent_accepts_prerequisite,
    check_shape,
    dependents_to_cancel,
    inherited_from,
    jobs_to_open,
)


def chain(n: int) -> TreeShape:
    """l1 at the root, l2 beneath it, …, ln deepest; job jK on link lK."""
    return TreeShape.of(
        Link(f"l{i}", f"j{i}", f"l{i - 1}" if i > 1 else None) for i in range(1, n + 1)
    )


def tailoring() -> TreeShape:
    """quality check (root) ← embroidery ← tailoring: tailoring runs first."""
    return TreeShape.of(
        [Link("lq", "quality", None), Link("le", "embroidery", "lq"), Link("lt", "tailoring", "le")]
    )


def test_depth_25_is_allowed_and_26_refused() -> None:
    shape = chain(MAX_DEPTH - 1)
    check_new_link(shape, f"l{MAX_DEPTH - 1}", len(shape.links), 1000)
    shape.add(Link(f"l{MAX_DEPTH}", "x", f"l{MAX_DEPTH - 1}"))
    with pytest.raises(DomainError) as refused:
        check_new_link(shape, f"l{MAX_DEPTH}", len(shape.links), 1000)
    assert refused.value.problems[0].code is ErrorCode.LIMIT_EXCEEDED


def test_at_most_50_links_beneath_one_link() -> None:
    shape = TreeShape.of(
        [Link("root", "r", None)] + [Link(f"c{i}", f"j{i}", "root") for i in range(MAX_CHILDREN)]
    )
    with pytest.raises(DomainError):
        check_new_link(shape, "root", len(shape.links), 1000)
    check_new_link(shape, "c0", len(shape.links), 1000)


def test_jobs_per_tree_is_a_setting() -> None:
    shape = chain(3)
    check_new_link(shape, None, 3, max_jobs=4)
    with pytest.raises(DomainError):
        check_new_link(shape, None, 3, max_jobs=3)


def test_an_unknown_parent_link_is_not_found() -> None:
    with pytest.raises(DomainError) as refused:
        check_new_link(chain(1), "nope", 1, 1000)
    assert refused.value.problems[0].code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize("status", list(JobStatus))
def test_which_parents_accept_a_new_prerequisite(status: JobStatus) -> None:
    if status in {JobStatus.OPEN, JobStatus.NOT_READY}:
        assert check_parent_accepts_prerequisite(status) is JobStatus.NOT_READY
    else:
        with pytest.raises(DomainError):
            check_parent_accepts_prerequisite(status)


def test_a_parent_opens_when_every_prerequisite_has_ended() -> None:
    shape = TreeShape.of([Link("p", "parent", None), Link("a", "A", "p"), Link("b", "B", "p")])
    statuses = {"parent": JobStatus.NOT_READY, "A": JobStatus.FINISHED, "B": JobStatus.OPEN}
    assert jobs_to_open(shape, statuses, ["parent"]) == []
    statuses["B"] = JobStatus.OBSOLETE
    assert jobs_to_open(shape, statuses, ["parent"]) == ["parent"]


def test_cancelling_a_leaf_names_every_open_dependent_up_to_the_root() -> None:
    shape = tailoring()
    statuses = {
        "tailoring": JobStatus.OPEN,
        "embroidery": JobStatus.NOT_READY,
        "quality": JobStatus.NOT_READY,
    }
    assert dependents_to_cancel(shape, statuses, "tailoring") == ["embroidery", "quality"]
    statuses["quality"] = JobStatus.FINISHED
    assert dependents_to_cancel(shape, statuses, "tailoring") == ["embroidery"]


def test_inherited_line_items_come_from_every_job_beneath() -> None:
    shape = tailoring()
    assert inherited_from(shape, "tailoring") == []
    assert inherited_from(shape, "embroidery") == ["tailoring"]
    assert inherited_from(shape, "quality") == ["embroidery", "tailoring"]


def test_a_listed_tree_is_checked_whole() -> None:
    with pytest.raises(DomainError):
        check_shape([Link("a", "j", None), Link("b", "j", "a")])  # one job, two links
    with pytest.raises(DomainError):
        check_shape([Link("b", "j2", "a"), Link("a", "j1", None)])  # parent listed after
    assert len(check_shape([Link("a", "j1", None), Link("b", "j2", "a")]).links) == 2


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=120))
def test_random_trees_keep_their_invariants(choices: list[int]) -> None:
    """Whatever links are added, a tree stays within its limits, every link is reached once in
    preorder (parents first), and depth matches the parent chain."""
    shape = TreeShape()
    for index, choice in enumerate(choices):
        ids = list(shape.links)
        parent = None if not ids or choice % 7 == 0 else ids[choice % len(ids)]
        try:
            check_new_link(shape, parent, len(shape.links), 1000)
        except DomainError:
            continue
        shape.add(Link(f"l{index}", f"j{index}", parent))
    seen: list[str] = []
    for link_id, depth in shape.preorder():
        parent = shape.links[link_id].parent_id
        assert parent is None or parent in seen
        assert depth == shape.depth(link_id) <= MAX_DEPTH
        assert len(shape.children.get(link_id, [])) <= MAX_CHILDREN
        seen.append(link_id)
    assert sorted(seen) == sorted(shape.links)
