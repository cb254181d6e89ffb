"""Cancel reasons: a code for marketplace jobs, optional free text (plain or localized) for
the others; every problem reported together."""

from __future__ import annotations

import pytest

from app.domain.cancel_reasons import CancelReason, cancel_reason
from app.domain.errors import DomainError, ErrorCode

DE = "A1PA6795UKMFR9"


def fields(error: DomainError) -> list[tuple[ErrorCode, str | None]]:
    return [(p.code, p.field) for p in error.problems]


def test_a_job_without_marketplace_needs_no_reason() -> None:
    none = cancel_reason(
        marketplace_id=None, service_type=None, reason=None, reason_localized=None, reason_code=None
    )
    assert none == CancelReason() and none.empty


def test_free_text_is_trimmed_and_kept_with_its_translations() -> None:
    given = cancel_reason(
        marketplace_id=None,
        service_type=None,
        reason="  moved away ",
        reason_localized={"de_DE": "umgezogen"},
        reason_code=None,
    )
    assert given == CancelReason("moved away", {"de_DE": "umgezogen"}, None)


def test_every_problem_is_reported_together() -> None:
    with pytest.raises(DomainError) as refused:
        cancel_reason(
            marketplace_id=None,
            service_type=None,
            reason=" ",
            reason_localized={"xx_XX": "?"},
            reason_code="S1",
        )
    assert fields(refused.value) == [
        (ErrorCode.VALIDATION_FAILED, "reason"),
        (ErrorCode.VALIDATION_FAILED, "reasonLocalized.xx_XX"),
        (ErrorCode.VALIDATION_FAILED, "reasonCode"),
    ]


def test_a_marketplace_job_needs_a_code_of_its_column() -> None:
    with pytest.raises(DomainError) as missing:
        cancel_reason(
            marketplace_id=DE,
            service_type=None,
            reason="x",
            reason_localized=None,
            reason_code=None,
        )
    assert fields(missing.value) == [(ErrorCode.VALIDATION_FAILED, "reasonCode")]
    with pytest.raises(DomainError) as wrong_column:
        cancel_reason(
            marketplace_id=DE,
            service_type=None,
            reason=None,
            reason_localized=None,
            reason_code="S2",
        )
    assert fields(wrong_column.value) == [(ErrorCode.VALIDATION_FAILED, "reasonCode")]
    coded = cancel_reason(
        marketplace_id=DE,
        service_type="heavybulky",
        reason=None,
        reason_localized={"de_DE": "Kunde außerhalb"},
        reason_code="S2",
    )
    assert coded == CancelReason(
        "S2: Customer outside service area.", {"de_DE": "Kunde außerhalb"}, "S2"
    )
    with_text = cancel_reason(
        marketplace_id=DE, service_type=None, reason="gone", reason_localized=None, reason_code="S1"
    )
    assert with_text.reason == "S1: gone"
