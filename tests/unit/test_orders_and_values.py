"""Orders become trees; answers to questions are checked against their value types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import DomainError, ErrorCode, Problems
from app.domain.job_values import GivenValue, missing_mandatory, resolve_values
from app.domain.orders import (
    JobEnd,
    OrderArticle,
    OrderItem,
    check_order,
    order_status,
    plan_jobs,
)
from app.domain.service_jobs import MAX_TARGET_TIMES, with_target_time


def item(ref: str, *children: OrderItem, articles: tuple[OrderArticle, ...] = ()) -> OrderItem:
    return OrderItem(ref, None, articles, list(children))


def test_a_childs_articles_are_required_by_every_ancestor() -> None:
    order = [item("parent", item("child", articles=(OrderArticle("Item_1", 1),)))]
    planned = plan_jobs(order)
    assert [(p.path, p.parent) for p in planned] == [((0,), None), ((0, 0), (0,))]
    assert [p.required_articles for p in planned] == [
        (OrderArticle("Item_1", 1),),
        (OrderArticle("Item_1", 1),),
    ]


def test_order_limits_are_reported() -> None:
    problems = Problems()
    check_order([item(f"s{i}") for i in range(16)], "customServices", problems)
    assert [p.code for p in problems] == [ErrorCode.LIMIT_EXCEEDED]

    deep = item("leaf")
    for _ in range(25):
        deep = item("x", deep)
    problems = Problems()
    check_order([deep], "customServices", problems)
    assert [p.code for p in problems] == [ErrorCode.LIMIT_EXCEEDED]

    wide = [item("p", *[item("c") for _ in range(10)]) for _ in range(5)]  # 55 in all
    problems = Problems()
    check_order(wide, "customServices", problems)
    assert [p.message for p in problems] == ["An order holds at most 50 custom services."]


T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)


def ended(*jobs: tuple[str, int | None]) -> list[JobEnd]:
    """Jobs by status and the minute they ended (None: still active, or ended before ending
    times were kept)."""
    return [JobEnd(s, None if m is None else T0 + timedelta(minutes=m)) for s, m in jobs]


def test_an_order_is_open_while_any_job_is_active() -> None:
    assert order_status([]) == "OPEN"
    assert order_status(ended(("OPEN", None), ("FINISHED", 1))) == "OPEN"
    assert order_status(ended(("NOT_READY", None), ("CANCELLED", 1))) == "OPEN"


def test_the_last_job_to_end_decides_the_order() -> None:
    # seed 000: cancelling the only active job cancels the order, even after a sibling finished
    assert order_status(ended(("FINISHED", 1), ("CANCELLED", 2))) == "CANCELLED"
    # and completing it completes the order, even after a sibling was cancelled
    assert order_status(ended(("CANCELLED", 1), ("FINISHED", 2))) == "COMPLETED"
    assert order_status(ended(("FINISHED", 1), ("FINISHED", 2))) == "COMPLETED"
    # a cancel and the dependents it cascades to end together
    assert order_status(ended(("FINISHED", 1), ("CANCELLED", 2), ("CANCELLED", 2))) == "CANCELLED"


def test_obsolete_decides_nothing() -> None:
    assert order_status(ended(("FINISHED", 1), ("OBSOLETE", 2))) == "COMPLETED"
    assert order_status(ended(("CANCELLED", 1), ("OBSOLETE", 2))) == "CANCELLED"
    assert order_status(ended(("OBSOLETE", 1), ("OBSOLETE", 2))) == "CANCELLED"


def test_ties_and_unknown_ending_times() -> None:
    assert order_status(ended(("FINISHED", 3), ("CANCELLED", 3))) == "CANCELLED"
    # jobs that ended before ending times were kept count as the earliest
    assert order_status(ended(("CANCELLED", None), ("FINISHED", 1))) == "COMPLETED"
    assert order_status(ended(("FINISHED", None), ("CANCELLED", None))) == "CANCELLED"


QUESTIONS = [
    {
        "id": "n",
        "tenantAdditionalInformationId": "threads",
        "nameLocalized": {"en_US": "Threads"},
        "valueType": "NUMBER",
        "isMandatory": True,
    },
    {"id": "b", "nameLocalized": {"en_US": "Passed"}, "valueType": "BOOLEAN", "isMandatory": True},
    {"id": "s", "nameLocalized": {"en_US": "Note"}, "valueType": "STRING", "isMandatory": False},
    {"id": "x", "nameLocalized": {"en_US": "Seen"}, "valueType": "NOVALUE", "isMandatory": False},
]


def test_values_are_typed_by_their_question() -> None:
    problems = Problems()
    values = resolve_values(
        QUESTIONS,
        [
            GivenValue(None, "threads", "3"),
            GivenValue("b", None, "true"),
            GivenValue("s", None, "ok"),
            GivenValue("x", None, None),
        ],
        "additionalInformation",
        problems,
    )
    assert not problems
    assert values == {"n": 3, "b": True, "s": "ok", "x": None}
    assert missing_mandatory(QUESTIONS, values) == []
    assert missing_mandatory(QUESTIONS, {"n": 1}) == ["Passed"]


def test_bad_values_are_each_reported() -> None:
    problems = Problems()
    resolve_values(
        QUESTIONS,
        [
            GivenValue("n", None, "many"),
            GivenValue("b", None, "yes"),
            GivenValue("s", None, "two\nlines"),
            GivenValue("x", None, "v"),
            GivenValue("zzz", None, "1"),
            GivenValue(None, None, "1"),
        ],
        "additionalInformation",
        problems,
    )
    assert [(p.code, p.field) for p in problems] == [
        (ErrorCode.VALIDATION_FAILED, "additionalInformation.0.value"),
        (ErrorCode.VALIDATION_FAILED, "additionalInformation.1.value"),
        (ErrorCode.VALIDATION_FAILED, "additionalInformation.2.value"),
        (ErrorCode.VALIDATION_FAILED, "additionalInformation.3.value"),
        (ErrorCode.NOT_FOUND, "additionalInformation.4"),
        (ErrorCode.VALIDATION_FAILED, "additionalInformation.5"),
    ]


def test_a_target_time_needs_a_timezone_and_a_job_keeps_at_most_a_hundred() -> None:
    moment = datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert with_target_time([], moment) == [{"targetTime": "2026-12-02T10:00:00+00:00"}]
    with pytest.raises(DomainError) as naive:
        with_target_time([], moment.replace(tzinfo=None))
    assert [(p.code.name, p.field) for p in naive.value.problems] == [
        ("VALIDATION_FAILED", "targetTime")
    ]
    full = [{"targetTime": moment.isoformat()}] * (MAX_TARGET_TIMES - 1)
    assert len(with_target_time(full, moment)) == MAX_TARGET_TIMES
    with pytest.raises(DomainError) as crowded:
        with_target_time([*full, full[0]], moment)
    assert [p.code.name for p in crowded.value.problems] == ["LIMIT_EXCEEDED"]
