"""Why a job was cancelled (DOMAIN §7): a marketplace job gives a reason code of its
marketplace and service type (seed 000); any other job may give a free-text reason, plain or
per locale, or none at all (fulfillmenttools' `cancelReason { reason reasonLocalized }`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain import reason_codes
from app.domain.errors import Problems
from app.domain.localized import check_localized
from app.domain.text_limits import MAX_TEXT_LENGTH


@dataclass(frozen=True, slots=True)
class CancelReason:
    """As stored on a cancelled job and copied to every dependent its cancel cascades to."""

    reason: str | None = None
    reason_localized: Mapping[str, str] | None = None
    reason_code: str | None = None

    @property
    def empty(self) -> bool:
        return self.reason is None and not self.reason_localized and self.reason_code is None


def cancel_reason(
    *,
    marketplace_id: str | None,
    service_type: str | None,
    reason: str | None,
    reason_localized: Mapping[str, object] | None,
    reason_code: str | None,
) -> CancelReason:
    """The reason to store, or every problem with what was given. A marketplace job needs a
    valid code (its free-text reason, if any, is kept beside the code's description); other
    jobs take no code, and their reason is optional."""
    problems = Problems()
    text = reason.strip() if reason is not None else None
    if reason is not None and not text:
        problems.invalid("A reason, when given, cannot be blank.", "reason")
    elif reason is not None and len(reason) > MAX_TEXT_LENGTH:
        problems.invalid(f"The reason is longer than {MAX_TEXT_LENGTH} characters.", "reason")
    localized = (
        check_localized(reason_localized, "reasonLocalized", problems)
        if reason_localized is not None
        else None
    )
    code = None
    if marketplace_id is not None:
        if reason_code is None:
            problems.invalid(
                "A marketplace job is cancelled with a reasonCode (see cancellationReasonCodes).",
                "reasonCode",
            )
    elif reason_code is not None:
        problems.invalid(
            "reasonCode is for marketplace jobs; give a reason (or reasonLocalized) instead.",
            "reasonCode",
        )
    problems.raise_if_any()
    if marketplace_id is not None and reason_code is not None:
        found = reason_codes.check_reason_code(reason_code, marketplace_id, service_type)
        code = found.code
        text = f"{found.code}: {text or found.description}"
    return CancelReason(reason=text or None, reason_localized=localized or None, reason_code=code)
