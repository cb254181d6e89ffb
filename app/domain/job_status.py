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


def prerequisites_ended(prerequisite_statuses: Iterable[JobStatus]) -> bool:
    """A NOT_READY job may open only once each of its prerequisites has ended (finished,
    cancelled or made obsolete)."""
    return all(status in TERMINAL for status in prerequisite_statuses)


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


#: What a marketplace job (seed 000) may do beyond TRANSITIONS: it completes from OPEN, the
#: marketplace's NotServiced, as well as from IN_PROGRESS (once its fulfilment data is recorded,
#: which the close-out checks).
MARKETPLACE_EXTRA: Mapping[JobAction, frozenset[JobStatus]] = {
    JobAction.FINISH: frozenset({JobStatus.OPEN}),
}


def sources(action: JobAction, *, marketplace: bool = False) -> frozenset[JobStatus]:
    """The statuses `action` may start from, for a marketplace job or another one."""
    allowed_from = TRANSITIONS[action][0]
    if marketplace:
        return allowed_from | MARKETPLACE_EXTRA.get(action, frozenset())
    return allowed_from


def apply_action(status: JobStatus, action: JobAction, *, marketplace: bool = False) -> JobStatus:
    """The status after `action`, or a refusal naming the current status and the action.
    `marketplace`: the job has a marketplaceId (MARKETPLACE_EXTRA applies)."""
    if status not in sources(action, marketplace=marketplace):
        allowed = _allowed(status, marketplace)
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            f"A service job in status {status.value} cannot {action.value}"
            + (f"; it can only {allowed}." if allowed else "; it is final."),
            "id",
        )
    return TRANSITIONS[action][1]


def _allowed(status: JobStatus, marketplace: bool) -> str:
    return ", ".join(a.value for a in TRANSITIONS if status in sources(a, marketplace=marketplace))


def derive_tree_status(statuses: Iterable[JobStatus]) -> JobStatus:
    """The status of a whole tree (DOMAIN §4); never stored."""
    present = set(statuses)
    if present & ACTIVE_WORK:
        return JobStatus.IN_PROGRESS
    for status in (JobStatus.OPEN, JobStatus.NOT_READY, JobStatus.FINISHED, JobStatus.CANCELLED):
        if status in present:
            return status
    return JobStatus.OBSOLETE
