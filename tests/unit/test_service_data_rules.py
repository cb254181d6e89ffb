"""Item flow rules without a database (DOMAIN §6, seed 003): selection, pass-on to the jobs
above, sequences in execution order, readiness and the service data corrections, including random
trees and random sequences of selects and unselects (hypothesis)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.custom_services import Article
from app.domain.errors import DomainError, ErrorCode, Problems
from app.domain.job_status import JobStatus
from app.domain.orders import carried, check_job_supplied
from app.domain.service_data import (
    LINE_ITEMS_MISSING,
    REQUIRED_LINE_ITEMS_UNFULFILLABLE,
    Entry,
    Held,
    ServiceItem,
    applied,
    check_mandatory_items,
    executed,
    item_sub_status,
    related,
    select_items,
    settle,
    unselect_items,
)
from app.domain.service_data_maintenance import (
    NewItem,
    QuantityChange,
    apply_quantities,
    check_new_items,
    check_removal,
)
from app.domain.trees import Link, TreeShape

NR = JobStatus.NOT_READY


def abc() -> TreeShape:
    """Seed 003's picture: A at the root, B and C beneath it in parallel."""
    return TreeShape.of([Link("la", "A", None), Link("lb", "B", "la"), Link("lc", "C", "la")])


def chain(*jobs: str) -> TreeShape:
    """jobs[0] at the root, each next one beneath the one before."""
    links = [Link(f"l{job}", job, f"l{jobs[i - 1]}" if i else None) for i, job in enumerate(jobs)]
    return TreeShape.of(links)


def order_items() -> dict[str, ServiceItem]:
    return {f"Item_{i}": ServiceItem(f"Item_{i}", f"art-{i}", 4) for i in range(1, 5)}


def codes(error: DomainError) -> list[ErrorCode]:
    return [p.code for p in error.problems]


def needs(article: str, quantity: int) -> list[dict[str, Any]]:
    return [{"article": {"tenantArticleId": article}, "quantity": quantity}]


def sequence_of(shape: TreeShape, item: ServiceItem) -> list[tuple[str, int, int]]:
    return [(u.job_id, u.sequence, u.applied_quantity) for u in executed(shape, item, {})]


def test_an_item_used_in_one_branch_cannot_be_used_in_a_parallel_branch() -> None:
    shape, items = abc(), order_items()
    after_b = select_items(shape, items, "B", NR, [Entry("Item_1", 1)]).items
    with pytest.raises(DomainError) as refused:
        select_items(shape, after_b, "C", NR, [Entry("Item_1", 1)])
    assert codes(refused.value) == [ErrorCode.CONFLICT]
    assert "parallel branch" in refused.value.problems[0].message


def test_unassigned_items_can_go_to_parallel_branches() -> None:
    shape, items = abc(), order_items()
    after_b = select_items(shape, items, "B", NR, [Entry("Item_1", 1)]).items
    after_c = select_items(shape, after_b, "C", NR, [Entry("Item_3", 1)]).items
    assert after_c["Item_3"].held == (Held("C", selected=1),)


def test_seed_003s_example_is_passed_on_without_a_second_select() -> None:
    """ABC works on 4 (sequence 1), DEF above it on the same 4 (sequence 2); nothing left."""
    shape = chain("DEF", "ABC")
    items = {"i": ServiceItem("i", "art", 4)}
    item = select_items(shape, items, "ABC", NR, [Entry("i", 4)]).items["i"]
    assert [
        (u.job_id, u.sequence, u.applied_quantity, u.items_returnable)
        for u in executed(shape, item, {"ABC": True, "DEF": False})
    ] == [("ABC", 1, 4, True), ("DEF", 2, 4, False)]
    assert item.available_quantity == 0
    assert item_sub_status(shape, [item], "DEF", needs("art", 4)) is None


def test_sequence_follows_execution_not_selection_order() -> None:
    shape = chain("P", "C")
    items = {"i": ServiceItem("i", "art", 3)}
    items = select_items(shape, items, "P", NR, [Entry("i", 1)]).items
    assert sequence_of(shape, items["i"]) == [("P", 1, 1)]
    items = select_items(shape, items, "C", NR, [Entry("i", 2)]).items
    assert sequence_of(shape, items["i"]) == [("C", 1, 2), ("P", 2, 3)]


def test_sequences_are_renumbered_when_the_tree_grows_beneath() -> None:
    item = ServiceItem("i", "art", 2, held=(Held("B", created=1),))
    assert sequence_of(chain("A", "B"), item) == [("B", 1, 1), ("A", 2, 1)]
    grown = chain("ROOT", "A", "B")
    assert sequence_of(grown, item) == [("B", 1, 1), ("A", 2, 1), ("ROOT", 3, 1)]


def test_what_was_passed_on_cannot_be_unselected_in_the_parent() -> None:
    shape = chain("P", "C")
    items = {"i": ServiceItem("i", "art", 4)}
    items = select_items(shape, items, "C", NR, [Entry("i", 2)]).items
    items = select_items(shape, items, "P", NR, [Entry("i", 1)]).items
    assert applied(shape, items["i"], "P") == 3
    with pytest.raises(DomainError) as refused:
        unselect_items(shape, items, "P", NR, [Entry("i", 2)])
    assert codes(refused.value) == [ErrorCode.CONFLICT]
    assert refused.value.problems[0].field == "items.0.quantity"
    after = unselect_items(shape, items, "P", NR, [Entry("i", 1)]).items
    assert after["i"].held == (Held("C", selected=2),)
    assert applied(shape, after["i"], "P") == 2


def test_a_jobs_own_line_items_cannot_be_unselected() -> None:
    shape = chain("J")
    items = {"own": ServiceItem("own", "art", 2, held=(Held("J", created=2),))}
    with pytest.raises(DomainError) as refused:
        unselect_items(shape, items, "J", NR, [Entry("own", 1)])
    assert codes(refused.value) == [ErrorCode.CONFLICT]


def test_quantities_are_bounded_and_requests_checked() -> None:
    shape, items = abc(), order_items()
    with pytest.raises(DomainError) as refused:
        select_items(shape, items, "B", NR, [Entry("Item_1", 5)])
    assert codes(refused.value) == [ErrorCode.LIMIT_EXCEEDED]
    with pytest.raises(DomainError) as refused:
        select_items(shape, items, "B", NR, [Entry("ghost", 1), Entry("Item_1", 0)])
    assert codes(refused.value) == [ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED]
    with pytest.raises(DomainError) as refused:
        select_items(shape, items, "B", NR, [Entry("Item_1", 1)] * 51)
    assert ErrorCode.LIMIT_EXCEEDED in codes(refused.value)
    with pytest.raises(DomainError) as refused:
        unselect_items(shape, items, "B", NR, [Entry("Item_1", 1)])
    assert codes(refused.value) == [ErrorCode.VALIDATION_FAILED]


def test_a_job_holds_at_most_fifty_line_items() -> None:
    shape = chain("J")
    items = {f"i{n}": ServiceItem(f"i{n}", "art", 1) for n in range(51)}
    first = select_items(shape, items, "J", NR, [Entry(f"i{n}", 1) for n in range(50)]).items
    with pytest.raises(DomainError) as refused:
        select_items(shape, first, "J", NR, [Entry("i50", 1)])
    assert codes(refused.value) == [ErrorCode.LIMIT_EXCEEDED]


@pytest.mark.parametrize("status", [s for s in JobStatus if s is not JobStatus.NOT_READY])
def test_items_change_only_while_the_job_is_not_ready(status: JobStatus) -> None:
    with pytest.raises(DomainError) as refused:
        select_items(abc(), order_items(), "B", status, [Entry("Item_1", 1)])
    assert codes(refused.value) == [ErrorCode.INVALID_TRANSITION]


def test_required_items_count_own_selected_and_passed_on_units() -> None:
    shape = chain("A", "B", "C")
    required = needs("art-1", 2)
    items = order_items()
    assert item_sub_status(shape, items.values(), "A", required) == LINE_ITEMS_MISSING
    items = select_items(shape, items, "C", NR, [Entry("Item_1", 1)]).items
    assert item_sub_status(shape, items.values(), "A", required) == LINE_ITEMS_MISSING
    items = select_items(shape, items, "B", NR, [Entry("Item_1", 1)]).items
    assert item_sub_status(shape, items.values(), "A", required) is None  # three levels
    assert item_sub_status(shape, items.values(), "C", required) == LINE_ITEMS_MISSING
    own = {"x": ServiceItem("x", "art-1", 2, held=(Held("C", created=2),))}
    assert item_sub_status(shape, own.values(), "C", required) is None


def test_unfulfillable_when_the_tree_cannot_provide_the_items_any_more() -> None:
    shape = abc()
    items = {"one": ServiceItem("one", "art", 1)}
    assert item_sub_status(shape, items.values(), "C", needs("art", 1)) == LINE_ITEMS_MISSING
    taken = select_items(shape, items, "B", NR, [Entry("one", 1)]).items
    assert item_sub_status(shape, taken.values(), "C", needs("art", 1)) == (
        REQUIRED_LINE_ITEMS_UNFULFILLABLE
    )
    # Units the parent holds could still come back to C: it can unselect them.
    above = select_items(shape, items, "A", NR, [Entry("one", 1)]).items
    assert item_sub_status(shape, above.values(), "C", needs("art", 1)) == LINE_ITEMS_MISSING
    assert item_sub_status(shape, [], "C", needs("art", 1)) == REQUIRED_LINE_ITEMS_UNFULFILLABLE


def test_settle_gives_every_not_ready_job_its_sub_status() -> None:
    shape = abc()
    items = [ServiceItem("one", "art", 1, held=(Held("B", selected=1),))]
    statuses = {"A": NR, "B": JobStatus.OPEN, "C": NR}
    result = settle(shape, statuses, items, {"A": needs("art", 1), "C": needs("art", 1)})
    assert result == {"A": None, "C": REQUIRED_LINE_ITEMS_UNFULFILLABLE}


def test_a_mandatory_job_without_required_items_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        check_mandatory_items("MANDATORY", [], "requiredLineItems")
    assert refused.value.problems[0].field == "requiredLineItems"
    check_mandatory_items("MANDATORY", needs("art", 1), "requiredLineItems")
    check_mandatory_items("NONE", [], "requiredLineItems")


def test_an_order_must_carry_what_its_mandatory_jobs_need() -> None:
    problems = Problems()
    supplied = carried([("art", 1), ("art", 1), ("other", 3)])
    check_job_supplied(needs("art", 2) + needs("other", 3), supplied, "customServices.0", problems)
    assert not problems
    check_job_supplied(needs("art", 3), supplied, "customServices.1", problems)
    check_job_supplied(needs("none", 1), supplied, "customServices.2", problems)
    assert [(p.code, p.field) for p in problems] == [
        (ErrorCode.VALIDATION_FAILED, "customServices.1"),
        (ErrorCode.VALIDATION_FAILED, "customServices.2"),
    ]


def test_corrections_never_go_below_what_is_applied() -> None:
    items = {
        "held": ServiceItem("held", "art", 4, held=(Held("J", selected=3),)),
        "free": ServiceItem("free", "art", 2),
    }
    problems = Problems()
    check_removal(items, ["free"], problems)
    assert not problems
    check_removal(items, ["held", "ghost", "free", "free"], problems)
    assert [(p.code, p.field) for p in problems] == [
        (ErrorCode.CONFLICT, "serviceItemRefs.0"),
        (ErrorCode.NOT_FOUND, "serviceItemRefs.1"),
        (ErrorCode.VALIDATION_FAILED, "serviceItemRefs.3"),
    ]
    problems = Problems()
    counted = apply_quantities(items, [QuantityChange("held", 3)], problems)
    assert not problems and counted["held"].quantity == 3
    apply_quantities(items, [QuantityChange("held", 2), QuantityChange("free", 0)], problems)
    assert [(p.code, p.field) for p in problems] == [
        (ErrorCode.CONFLICT, "items.0.quantity"),
        (ErrorCode.VALIDATION_FAILED, "items.1.quantity"),
    ]
    problems = Problems()
    check_new_items([NewItem(Article("a"), 1), NewItem(Article(" "), 0)], 3, problems)
    assert [p.field for p in problems] == ["items.1.quantity", "items.1.article"]
    problems = Problems()
    check_new_items([], 0, problems)
    assert [p.field for p in problems] == ["items"]


@st.composite
def trees_and_operations(
    draw: st.DrawFn,
) -> tuple[TreeShape, dict[str, ServiceItem], list[tuple[bool, str, str, int]]]:
    size = draw(st.integers(min_value=1, max_value=12))
    shape = TreeShape()
    for index in range(size):
        parent = None if index == 0 else f"l{draw(st.integers(0, index - 1))}"
        shape.add(Link(f"l{index}", f"j{index}", parent))
    jobs = [f"j{i}" for i in range(size)]
    items: dict[str, ServiceItem] = {}
    for name in ("i1", "i2", "i3"):
        quantity = draw(st.integers(min_value=1, max_value=6))
        creator = draw(st.none() | st.sampled_from(jobs))
        created = draw(st.integers(min_value=1, max_value=quantity)) if creator else 0
        held = (Held(creator, created=created),) if creator else ()
        items[name] = ServiceItem(name, f"art-{name}", quantity, held=held)
    operations = draw(
        st.lists(
            st.tuples(
                st.booleans(),
                st.sampled_from(jobs),
                st.sampled_from(list(items)),
                st.integers(min_value=1, max_value=5),
            ),
            max_size=40,
        )
    )
    return shape, items, operations


def _check_invariants(shape: TreeShape, items: dict[str, ServiceItem]) -> None:
    for item in items.values():
        # Never more applied than the service data holds; availableQuantity in 0..quantity.
        assert 0 <= item.available_quantity <= item.quantity
        assert all(h.units >= 1 and h.created >= 0 and h.selected >= 0 for h in item.held)
        # Never in two parallel branches: the holders form one chain.
        holders = [h.job_id for h in item.held]
        assert len(set(holders)) == len(holders)
        assert all(related(shape, a, b) for a in holders for b in holders)
        usages = executed(shape, item, {})
        if not usages:
            assert item.used == 0
            continue
        # No unit counted twice: the top of the chain applies exactly the units held.
        assert usages[-1].applied_quantity == item.used <= item.quantity
        # Sequences 1..n along the path, every job beneath before the jobs above it.
        assert [u.sequence for u in usages] == list(range(1, len(usages) + 1))
        path = [u.job_id for u in usages]
        for lower, upper in itertools.pairwise(path):
            assert shape.links[shape.link_of_job[lower]].parent_id == shape.link_of_job[upper]
        assert shape.links[shape.link_of_job[path[-1]]].parent_id is None
        assert all(holder in path for holder in holders)
        # Applied quantities never shrink going up, and each job's is what its subtree holds.
        assert all(a.applied_quantity <= b.applied_quantity for a, b in itertools.pairwise(usages))
        assert all(u.applied_quantity == applied(shape, item, u.job_id) for u in usages)


@settings(max_examples=200, deadline=None)
@given(trees_and_operations())
def test_random_selections_keep_every_invariant(
    case: tuple[TreeShape, dict[str, ServiceItem], list[tuple[bool, str, str, int]]],
) -> None:
    shape, items, operations = case
    _check_invariants(shape, items)
    for is_select, job, item_id, quantity in operations:
        before = items
        used_before = items[item_id].held_by(job)
        try:
            if is_select:
                items = select_items(shape, items, job, NR, [Entry(item_id, quantity)]).items
            else:
                items = unselect_items(shape, items, job, NR, [Entry(item_id, quantity)]).items
        except DomainError:
            assert items is before  # a refusal changes nothing
            continue
        after = items[item_id].held_by(job)
        # What a job was created with never moves; a select or unselect moves its own units.
        assert after.created == used_before.created
        delta = quantity if is_select else -quantity
        assert after.selected == used_before.selected + delta
        _check_invariants(shape, items)
        # Readiness is consistent with the units counted for each job.
        for other in shape.link_of_job:
            required = needs(f"art-{item_id}", items[item_id].quantity)
            state = item_sub_status(shape, items.values(), other, required)
            enough = applied(shape, items[item_id], other) >= items[item_id].quantity
            assert (state is None) == enough
