"""Output types of a job's details: its questions and answers, assigned users, status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from app.graphql.common.scalars import LocalizedText
from app.graphql.context import Context
from app.graphql.custom_services.enums import AdditionalInformationValueType
from app.graphql.custom_services.types import LocaleArg, localized
from app.graphql.read_path.sources import Getter, localized_text, reads
from app.graphql.service_jobs.enums import ServiceJobStatus


@strawberry.type(description="A question of the job (copied from its service) and its answer.")
class ServiceJobAdditionalInformation:
    id: strawberry.ID = strawberry.field(description="Id of the additional information.")
    tenant_additional_information_id: str | None = strawberry.field(
        description="The tenant's own id of the question (copied from the service). An answer "
        "names the question with this value as `tenantAdditionalInformationRef` (or with `id` "
        "as `additionalInformationRef`)."
    )
    name_localized: LocalizedText = strawberry.field(description="The question, per locale.")
    description_localized: LocalizedText | None = strawberry.field(
        description="What the question means, per locale (copied from the service); null if the "
        "service gave none."
    )
    value_type: AdditionalInformationValueType = strawberry.field(
        description="What kind of answer is expected."
    )
    is_mandatory: bool = strawberry.field(description="Needed before the job can finish.")
    value: str | None = strawberry.field(
        description="The answer given so far, as text (true/false for BOOLEAN); null if none."
    )

    @strawberry.field(
        description="The question in the caller's locale.",
        metadata=reads(getter=localized_text("name_localized", required=True)),
    )
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(
        description="The description in the caller's locale; null if none.",
        metadata=reads(getter=localized_text("description_localized")),
    )
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)


@strawberry.type(description="A user assigned to a job, as the client named it.")
class AssignedUser:
    user_id: str | None = strawberry.field(
        description="The user's id; null when the user was assigned by username alone."
    )
    username: str | None = strawberry.field(
        description="The user's username; null when the user was assigned by id alone."
    )


def _given_reason(context: Any, args: Mapping[str, Any]) -> Getter:
    """CancelReason.reason: the text given, else the localized reason in the caller's
    locales (the `locale` argument first)."""
    in_locale = localized_text("reason_localized")(context, args)
    return lambda reason: reason._reason if reason._reason is not None else in_locale(reason)


@strawberry.type(
    description="Why a job was cancelled: free text and its translations for any job, the "
    "marketplace's reason code for a marketplace job (as in the \u201cClose service jobs\u201d "
    "guide). Dependents cancelled with the "
    "job carry the same reason."
)
class CancelReason:
    reason_localized: LocalizedText | None = strawberry.field(
        description="The reason per locale, as given with the cancel; null if none was."
    )
    reason_code: str | None = strawberry.field(
        description="The reason code a marketplace job was cancelled with (see "
        "cancellationReasonCodes); null for other jobs."
    )
    _reason: strawberry.Private[str | None]

    @strawberry.field(
        description="The reason: the free text given (for a marketplace job '<code>: <the "
        "text, else the code's description>'), else reasonLocalized in the caller's locale; "
        "null if neither was given.",
        metadata=reads(getter=_given_reason),
    )
    def reason(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str | None:
        if self._reason is not None:
            return self._reason
        return localized(info, self.reason_localized, locale)

    @classmethod
    def of_row(cls, row: Any) -> CancelReason | None:
        if (
            row.status_reason is None
            and not row.status_reason_localized
            and not (row.status_reason_code)
        ):
            return None
        return cls(
            reason_localized=(
                LocalizedText(row.status_reason_localized) if row.status_reason_localized else None
            ),
            reason_code=row.status_reason_code,
            _reason=row.status_reason,
        )


@strawberry.type(description="The job's status and why it was last changed.")
class StatusInformation:
    status: ServiceJobStatus = strawberry.field(description="The current status.")
    reason: str | None = strawberry.field(
        description="Reason given with a cancel, if any, as text.",
        deprecation_reason="Use cancelReason { reason reasonLocalized reasonCode }.",
    )
    cancel_reason: CancelReason | None = strawberry.field(
        description="Why the job was cancelled; null unless it was cancelled with a reason."
    )
    last_modified: datetime = strawberry.field(description="When the job last changed (UTC).")
