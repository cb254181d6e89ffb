"""The status machine: every (status, action) pair is either the documented move or refused."""

from __future__ import annotations

import pytest

from app.domain.errors import DomainError, ErrorCode
from app.domain.job_status import JobAction, JobStatus, apply_action, derive_tree_status

S = JobStatus
EXPECTED: dict[tuple[JobStatus, JobAction], JobStatus] = {
    (S.OPEN, JobAction.START): S.IN_PROGRESS,
    (S.WAITING_FOR_INPUT, JobAction.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, JobAction.HOLD): S.WAITING_FOR_INPUT,
    (S.IN_PROGRESS, JobAction.OPEN): S.OPEN,
    (S.WAITING_FOR_INPUT, JobAction.OPEN): S.OPEN,
    (S.IN_PROGRESS, JobAction.FINISH): S.FINISHED,
    (S.WAITING_FOR_INPUT, JobAction.FINISH): S.FINISHED,
    **{
        (s, JobAction.CANCEL): S.CANCELLED
        for s in (S.NOT_READY, S.OPEN, S.IN_PROGRESS, S.WAITING_FOR_INPUT)
    },
    **{
        (s, JobAction.OBSOLETE): S.OBSOLETE
        for s in (S.NOT_READY, S.OPEN, S.IN_PROGRESS, S.WAITING_FOR_INPUT)
    },
}


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("action", list(JobAction))
def test_every_status_and_action(status: JobStatus, action: JobAction) -> None:
    expected = EXPECTED.get((status, action))
    if expected is not None:
        assert apply_action(status, action) is expected
        return
    with pytest.raises(DomainError) as refused:
        apply_action(status, action)
    problem = refused.value.problems[0]
    assert problem.code is ErrorCode.INVALID_TRANSITION
    assert status.value in problem.message and action.value in problem.message


#: A marketplace job (seed 000) also completes from OPEN, Amazon's NotServiced.
MARKETPLACE_EXPECTED = {**EXPECTED, (S.OPEN, JobAction.FINISH): S.FINISHED}


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("action", list(JobAction))
def test_every_status_and_action_of_a_marketplace_job(status: JobStatus, action: JobAction) -> None:
    expected = MARKETPLACE_EXPECTED.get((status, action))
    if expected is not None:
        assert apply_action(status, action, marketplace=True) is expected
        return
    with pytest.raises(DomainError) as refused:
        apply_action(status, action, marketplace=True)
    problem = refused.value.problems[0]
    assert problem.code is ErrorCode.INVALID_TRANSITION
    assert status.value in problem.message and action.value in problem.message


def test_only_a_marketplace_job_finishes_from_open() -> None:
    assert apply_action(S.OPEN, JobAction.FINISH, marketplace=True) is S.FINISHED
    with pytest.raises(DomainError) as refused:
        apply_action(S.OPEN, JobAction.FINISH)
    assert "can only start, cancel, obsolete" in refused.value.problems[0].message
    with pytest.raises(DomainError):
        apply_action(S.NOT_READY, JobAction.FINISH, marketplace=True)


def test_not_ready_can_only_be_cancelled_or_made_obsolete_by_hand() -> None:
    allowed = {a for a in JobAction if (S.NOT_READY, a) in EXPECTED}
    assert allowed == {JobAction.CANCEL, JobAction.OBSOLETE}


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([S.FINISHED, S.WAITING_FOR_INPUT, S.OPEN], S.IN_PROGRESS),
        ([S.IN_PROGRESS, S.NOT_READY], S.IN_PROGRESS),
        ([S.OPEN, S.NOT_READY, S.FINISHED], S.OPEN),
        ([S.NOT_READY, S.CANCELLED], S.NOT_READY),
        ([S.FINISHED, S.CANCELLED, S.OBSOLETE], S.FINISHED),
        ([S.CANCELLED, S.OBSOLETE], S.CANCELLED),
        ([S.OBSOLETE], S.OBSOLETE),
    ],
)
def test_tree_status_is_derived(statuses: list[JobStatus], expected: JobStatus) -> None:
    assert derive_tree_status(statuses) is expected
