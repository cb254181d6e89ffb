"""Orders become trees; answers to questions are checked against their value types."""

from __future__ import annotations

from app.domain.errors import ErrorCode, Problems
from app.domain.job_values import GivenValue, missing_mandatory, resolve_values
from app.domain.orders import OrderArticle, OrderItem, check_order, order_status, plan_jobs


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


def test_order_status_is_derived_from_its_jobs() -> None:
    assert order_status(["OPEN", "FINISHED"]) == "OPEN"
    assert order_status(["FINISHED", "CANCELLED"]) == "COMPLETED"
    assert order_status(["CANCELLED", "OBSOLETE"]) == "CANCELLED"


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
