"""Item selection rules without a database, including random trees and random sequences of
selects and unselects (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import DomainError, ErrorCode
from app.domain.job_status import JobStatus
from app.domain.service_data import (
    Entry,
    ServiceItem,
    missing_line_items,
    select_items,
    unselect_items,
)
from app.domain.trees import Link, TreeShape

NR = JobStatus.NOT_READY


def abc() -> TreeShape:
    """Seed 003's picture: A at the root, B and C beneath it in parallel."""
    return TreeShape.of([Link("la", "A", None), Link("lb", "B", "la"), Link("lc", "C", "la")])


def order_items() -> dict[str, ServiceItem]:
    return {f"Item_{i}": ServiceItem(f"Item_{i}", f"art-{i}", 4) for i in range(1, 5)}


def codes(error: DomainError) -> list[ErrorCode]:
    return [p.code for p in error.problems]


def test_an_item_used_in_one_branch_cannot_be_used_in_a_parallel_branch() -> None:
    shape, items = abc(), order_items()
    after_b = select_items(shape, items, "B", NR, [Entry("Item_1", 1)], False).items
    with pytest.raises(DomainError) as refused:
        select_items(shape, after_b, "C", NR, [Entry("Item_1", 1)], False)
    assert codes(refused.value) == [ErrorCode.CONFLICT]
    assert "parallel branch" in refused.value.problems[0].message


def test_unassigned_items_can_go_to_parallel_branches() -> None:
    shape, items = abc(), order_items()
    after_b = select_items(shape, items, "B", NR, [Entry("Item_1", 1)], False).items
    after_c = select_items(shape, after_b, "C", NR, [Entry("Item_3", 1)], False).items
    assert after_c["Item_3"].usages[0].job_id == "C"


def test_the_jobs_above_may_use_an_item_again_with_the_next_sequence() -> None:
    """Seed 003's service data example: ABC uses 4 (sequence 1), DEF above it 4 (sequence 2)."""
    shape = TreeShape.of([Link("l-def", "DEF", None), Link("l-abc", "ABC", "l-def")])
    items = {"i": ServiceItem("i", "art", 4)}
    items = select_items(shape, items, "ABC", NR, [Entry("i", 4)], True).items
    items = select_items(shape, items, "DEF", NR, [Entry("i", 4)], False).items
    item = items["i"]
    assert [
        (u.job_id, u.sequence, u.applied_quantity, u.items_returnable) for u in item.usages
    ] == [
        ("ABC", 1, 4, True),
        ("DEF", 2, 4, False),
    ]
    assert item.available_quantity == 0


def test_what_a_child_used_cannot_be_unselected_in_the_parent() -> None:
    shape = TreeShape.of([Link("lp", "P", None), Link("lc", "C", "lp")])
    items = {"i": ServiceItem("i", "art", 4)}
    items = select_items(shape, items, "C", NR, [Entry("i", 2)], False).items
    items = select_items(shape, items, "P", NR, [Entry("i", 3)], False).items
    with pytest.raises(DomainError) as refused:
        unselect_items(shape, items, "P", NR, [Entry("i", 2)])
    assert codes(refused.value) == [ErrorCode.CONFLICT]
    after = unselect_items(shape, items, "P", NR, [Entry("i", 1)]).items
    assert after["i"].usage_of("P").applied_quantity == 2  # type: ignore[union-attr]


def test_quantities_are_bounded_and_requests_checked() -> None:
    shape, items = abc(), order_items()
    with pytest.raises(DomainError) as refused:
        select_items(shape, items, "B", NR, [Entry("Item_1", 5)], False)
    assert codes(refused.value) == [ErrorCode.LIMIT_EXCEEDED]
    with pytest.raises(DomainError) as refused:
        select_items(shape, items, "B", NR, [Entry("ghost", 1), Entry("Item_1", 0)], False)
    assert codes(refused.value) == [ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED]
    with pytest.raises(DomainError) as refused:
        select_items(shape, items, "B", NR, [Entry("Item_1", 1)] * 51, False)
    assert ErrorCode.LIMIT_EXCEEDED in codes(refused.value)
    with pytest.raises(DomainError) as refused:
        unselect_items(shape, items, "B", NR, [Entry("Item_1", 1)])
    assert codes(refused.value) == [ErrorCode.VALIDATION_FAILED]


@pytest.mark.parametrize("status", [s for s in JobStatus if s is not JobStatus.NOT_READY])
def test_items_change_only_while_the_job_is_not_ready(status: JobStatus) -> None:
    with pytest.raises(DomainError) as refused:
        select_items(abc(), order_items(), "B", status, [Entry("Item_1", 1)], False)
    assert codes(refused.value) == [ErrorCode.INVALID_TRANSITION]


def test_required_items_are_matched_by_article_and_quantity() -> None:
    shape, items = abc(), order_items()
    required = [{"article": {"tenantArticleId": "art-1"}, "quantity": 2}]
    assert missing_line_items(required, items, "B")
    items = select_items(shape, items, "B", NR, [Entry("Item_1", 1)], False).items
    assert missing_line_items(required, items, "B")
    items = select_items(shape, items, "B", NR, [Entry("Item_1", 1)], False).items
    assert not missing_line_items(required, items, "B")


@st.composite
def trees_and_operations(draw: st.DrawFn) -> tuple[TreeShape, list[tuple[bool, str, str, int]]]:
    size = draw(st.integers(min_value=1, max_value=12))
    shape = TreeShape()
    for index in range(size):
        parent = None if index == 0 else f"l{draw(st.integers(0, index - 1))}"
        shape.add(Link(f"l{index}", f"j{index}", parent))
    operations = draw(
        st.lists(
            st.tuples(
                st.booleans(),
                st.sampled_from([f"j{i}" for i in range(size)]),
                st.sampled_from(["i1", "i2", "i3"]),
                st.integers(min_value=1, max_value=5),
            ),
            max_size=40,
        )
    )
    return shape, operations


@settings(max_examples=200, deadline=None)
@given(trees_and_operations())
def test_random_selections_keep_every_invariant(
    case: tuple[TreeShape, list[tuple[bool, str, str, int]]],
) -> None:
    shape, operations = case
    items = {i: ServiceItem(i, f"art-{i}", 4) for i in ("i1", "i2", "i3")}
    sequences: dict[tuple[str, str], int] = {}
    for is_select, job, item_id, quantity in operations:
        before = items
        try:
            if is_select:
                items = select_items(shape, items, job, NR, [Entry(item_id, quantity)], False).items
            else:
                items = unselect_items(shape, items, job, NR, [Entry(item_id, quantity)]).items
        except DomainError:
            assert items is before
            continue
        for item in items.values():
            # Quantities never negative nor above the item's.
            assert 0 <= item.available_quantity <= item.quantity
            assert all(u.applied_quantity >= 1 for u in item.usages)
            # Never in two parallel branches: the jobs using an item form one chain.
            jobs = [u.job_id for u in item.usages]
            for a in jobs:
                for b in jobs:
                    la, lb = shape.link_of_job[a], shape.link_of_job[b]
                    assert a == b or la in shape.ancestors(lb) or lb in shape.ancestors(la)
            # Sequence numbers are unique and never renumbered.
            numbers = [u.sequence for u in item.usages]
            assert len(set(numbers)) == len(numbers)
            for usage in item.usages:
                key = (item.id, usage.job_id)
                assert sequences.setdefault(key, usage.sequence) == usage.sequence
        for item in items.values():
            present = {u.job_id for u in item.usages}
            for key in [k for k in sequences if k[0] == item.id and k[1] not in present]:
                del sequences[key]
