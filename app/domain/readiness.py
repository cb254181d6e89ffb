"""Why a NOT_READY job is not ready yet (DOMAIN §3, §4), in words a person reads.

A job opens once every prerequisite has ended (`job_status.prerequisites_ended`) and its required
items are there (`service_data.LACKING` names the sub-statuses that say they are not). This
module puts those two rules side by side for views: it decides nothing that `trees.jobs_to_open`
and `service_data.item_sub_status` do not already decide.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.job_status import TERMINAL, JobStatus
from app.domain.service_data import LINE_ITEMS_MISSING, REQUIRED_LINE_ITEMS_UNFULFILLABLE


class WaitingReason(enum.Enum):
    PREREQUISITES = "PREREQUISITES"
    LINE_ITEMS_MISSING = LINE_ITEMS_MISSING
    REQUIRED_LINE_ITEMS_UNFULFILLABLE = REQUIRED_LINE_ITEMS_UNFULFILLABLE


@dataclass(frozen=True, slots=True)
class Waiting:
    reason: WaitingReason
    text: str


def waiting_for(
    status: JobStatus, sub_status: str | None, prerequisite_statuses: Iterable[JobStatus]
) -> list[Waiting]:
    """What a job waits for: empty unless it is NOT_READY."""
    if status is not JobStatus.NOT_READY:
        return []
    reasons: list[Waiting] = []
    pending = sum(1 for s in prerequisite_statuses if s not in TERMINAL)
    if pending:
        noun = "prerequisite" if pending == 1 else "prerequisites"
        reasons.append(Waiting(WaitingReason.PREREQUISITES, f"{pending} {noun} not done"))
    if sub_status == LINE_ITEMS_MISSING:
        reasons.append(Waiting(WaitingReason.LINE_ITEMS_MISSING, "missing line items"))
    elif sub_status == REQUIRED_LINE_ITEMS_UNFULFILLABLE:
        reasons.append(
            Waiting(
                WaitingReason.REQUIRED_LINE_ITEMS_UNFULFILLABLE,
                "required line items cannot be provided",
            )
        )
    return reasons
