"""Why a NOT_READY job waits, in words: the prerequisite rule and the item sub-statuses."""

from __future__ import annotations

from app.domain.job_status import JobStatus, prerequisites_ended
from app.domain.readiness import WaitingReason, waiting_for

S = JobStatus


def reasons(status: JobStatus, sub: str | None, below: list[JobStatus]) -> list[str]:
    return [w.text for w in waiting_for(status, sub, below)]


def test_only_a_not_ready_job_waits() -> None:
    for status in JobStatus:
        if status is not S.NOT_READY:
            assert waiting_for(status, "LINE_ITEMS_MISSING", [S.OPEN]) == []


def test_prerequisites_that_have_not_ended_are_counted() -> None:
    assert reasons(S.NOT_READY, None, [S.OPEN, S.FINISHED, S.IN_PROGRESS]) == [
        "2 prerequisites not done"
    ]
    assert reasons(S.NOT_READY, None, [S.CANCELLED, S.NOT_READY]) == ["1 prerequisite not done"]
    assert reasons(S.NOT_READY, None, [S.FINISHED, S.OBSOLETE, S.CANCELLED]) == []


def test_missing_items_are_named_after_the_prerequisites() -> None:
    waiting = waiting_for(S.NOT_READY, "LINE_ITEMS_MISSING", [S.OPEN])
    assert [w.reason for w in waiting] == [
        WaitingReason.PREREQUISITES,
        WaitingReason.LINE_ITEMS_MISSING,
    ]
    assert reasons(S.NOT_READY, "LINE_ITEMS_MISSING", []) == ["missing line items"]
    assert reasons(S.NOT_READY, "REQUIRED_LINE_ITEMS_UNFULFILLABLE", []) == [
        "required line items cannot be provided"
    ]


def test_the_prerequisite_rule_is_the_one_that_opens_jobs() -> None:
    assert prerequisites_ended([])
    assert prerequisites_ended([S.FINISHED, S.CANCELLED, S.OBSOLETE])
    for status in (S.NOT_READY, S.OPEN, S.IN_PROGRESS, S.WAITING_FOR_INPUT):
        assert not prerequisites_ended([S.FINISHED, status])
