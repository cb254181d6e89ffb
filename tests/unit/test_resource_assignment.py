"""The rule on the resources an appointment is given (assignAppointmentResources)."""

from __future__ import annotations

from app.domain.errors import ErrorCode, Problems
from app.domain.fulfillment import (
    MAX_TECHNICIANS,
    check_reschedule_reason,
    check_resource_assignment,
)

Found = list[tuple[ErrorCode, str]]


def problems_of(resources: list[str], recorded: tuple[str, ...] = ()) -> Found:
    problems = Problems()
    check_resource_assignment(resources, recorded, "resources", problems)
    return [(p.code, p.field or "") for p in problems]


def test_distinct_technicians_are_accepted() -> None:
    assert problems_of(["tech-1", "tech-2"], recorded=("tech-2",)) == []
    assert problems_of([f"t{i}" for i in range(MAX_TECHNICIANS)]) == []


def test_empty_blank_twice_and_too_many_are_refused() -> None:
    assert problems_of([]) == [(ErrorCode.VALIDATION_FAILED, "resources")]
    assert problems_of(["a", "", "a"]) == [
        (ErrorCode.VALIDATION_FAILED, "resources.1.resourceId"),
        (ErrorCode.VALIDATION_FAILED, "resources.2.resourceId"),
    ]
    too_many = [f"t{i}" for i in range(MAX_TECHNICIANS + 1)]
    assert problems_of(too_many) == [(ErrorCode.LIMIT_EXCEEDED, "resources")]


def test_recorded_resources_must_stay() -> None:
    assert problems_of(["tech-1"], recorded=("tech-1", "tech-2")) == [
        (ErrorCode.VALIDATION_FAILED, "resources")
    ]


def test_a_reschedule_reason_code_is_one_to_sixty_four_characters() -> None:
    for code, refused in [
        ("", True),
        ("  ", True),
        ("R1", False),
        ("x" * 64, False),
        ("x" * 65, True),
    ]:
        problems = Problems()
        check_reschedule_reason(code, "reasonCode", problems)
        assert [p.field for p in problems] == (["reasonCode"] if refused else []), code
