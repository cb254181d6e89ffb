"""The status machine of service jobs (DOMAIN §3) as data, and the one function that applies it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from app.domain.errors import DomainError, ErrorCode


class JobStatus(enum.Enum):
    NOT_READY = "NOT_READY"
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_INPUT = "WAITING_FOR_INPUT"
    FINISHED = "FINISHED"
    CANCELLED = "CANCELLED"
    OBSOLETE = "OBSOLETE"


class JobAction(enum.Enum):
    START = "start"
    HOLD = "hold"
    OPEN = "open"
    FINISH = "finish"
    CANCEL = "cancel"
    OBSOLETE = "obsolete"


TERMINAL: frozenset[JobStatus] = frozenset(
    {JobStatus.FINISHED, JobStatus.CANCELLED, JobStatus.OBSOLETE}
)
NON_TERMINAL: frozenset[JobStatus] = frozenset(JobStatus) - TERMINAL
ACTIVE_WORK: frozenset[JobStatus] = frozenset({JobStatus.IN_PROGRESS, JobStatus.WAITING_FOR_INPUT})

#: action -> (the statuses it may start from, the status it leads to).
TRANSITIONS: Mapping[JobAction, tuple[frozenset[JobStatus], JobStatus]] = {
    JobAction.START: (
        frozenset({JobStatus.OPEN, JobStatus.WAITING_FOR_INPUT}),
        JobStatus.IN_PROGRESS,
    ),
    JobAction.HOLD: (frozenset({JobStatus.IN_PROGRESS}), JobStatus.WAITING_FOR_INPUT),
    JobAction.OPEN: (ACTIVE_WORK, JobStatus.OPEN),
    JobAction.FINISH: (ACTIVE_WORK, JobStatus.FINISHED),
    JobAction.CANCEL: (NON_TERMINAL, JobStatus.CANCELLED),
    JobAction.OBSOLETE: (NON_TERMINAL, JobStatus.OBSOLETE),
}

#: Actions that may carry additional-information values (obsolete takes none; cancel a reason).
TAKES_ADDITIONAL_INFORMATION: frozenset[JobAction] = frozenset(
    {JobAction.START, JobAction.HOLD, JobAction.OPEN, JobAction.FINISH}
)


def apply_action(status: JobStatus, action: JobAction) -> JobStatus:
    """The status after `action`, or a refusal naming the current status and the action."""
    allowed_from, target = TRANSITIONS[action]
    if status not in allowed_from:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            f"A service job in status {status.value} cannot {action.value}"
            + (f"; it can only {_allowed(status)}." if _allowed(status) else "; it is final."),
            "id",
        )
    return target


def _allowed(status: JobStatus) -> str:
    return ", ".join(a.value for a, (sources, _) in TRANSITIONS.items() if status in sources)


def derive_tree_status(statuses: Iterable[JobStatus]) -> JobStatus:
    """The status of a whole tree (DOMAIN §4); never stored."""
    present = set(statuses)
    if present & ACTIVE_WORK:
        return JobStatus.IN_PROGRESS
    for status in (JobStatus.OPEN, JobStatus.NOT_READY, JobStatus.FINISHED, JobStatus.CANCELLED):
        if status in present:
            return status
    return JobStatus.OBSOLETE
