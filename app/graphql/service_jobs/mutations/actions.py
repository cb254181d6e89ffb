"""start/hold/open/finish/cancel/obsoleteServiceJob: the status machine's actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry

from app.domain.job_status import JobAction
from app.domain.job_values import GivenValue
from app.graphql.common.payloads import answer
from app.graphql.common.scalars import LocalizedText
from app.graphql.context import Context
from app.graphql.service_jobs.inputs import AdditionalInformationValueInput
from app.graphql.service_jobs.payload import ServiceJobPayload
from app.services import service_jobs

Input = "The mutation's input."


@strawberry.input(description="An action on a job, with answers to its questions.")
class ServiceJobActionInput:
    id: strawberry.ID = strawberry.field(description="The service job.")
    version: int = strawberry.field(description="The version last seen by the client.")
    additional_information: list[AdditionalInformationValueInput] = strawberry.field(
        default_factory=list, description="Answers to the job's questions (≤ 15)."
    )


@strawberry.input(description="Cancel a job, and every job that depends on it.")
class CancelServiceJobInput:
    id: strawberry.ID = strawberry.field(description="The service job.")
    version: int = strawberry.field(description="The version last seen by the client.")
    reason: str | None = strawberry.field(
        default=None,
        description="Why, as free text (optional). The reason given (text, localized text and "
        "code) is copied to every cancelled dependent and shown as "
        "statusInformation.cancelReason.",
    )
    reason_localized: LocalizedText | None = strawberry.field(
        default=None,
        description="Why, per locale (optional; supported locales only, each text non-empty).",
    )
    reason_code: str | None = strawberry.field(
        default=None,
        description="Required for marketplace jobs, refused for others: a code of "
        "cancellationReasonCodes for the job's marketplace and service type.",
    )


@strawberry.input(description="Mark a job as no longer needed.")
class ObsoleteServiceJobInput:
    id: strawberry.ID = strawberry.field(description="The service job.")
    version: int = strawberry.field(description="The version last seen by the client.")


async def _apply(
    info: strawberry.Info[Context, None],
    ident: strawberry.ID,
    version: int,
    action: JobAction,
    values: Sequence[GivenValue] = (),
    reason: service_jobs.GivenReason | None = None,
) -> ServiceJobPayload:
    context = info.context
    return await answer(
        ServiceJobPayload,
        lambda: service_jobs.apply_status_action(
            context.db, context.viewer, str(ident), version, action, values, reason
        ),
        ServiceJobPayload.done,
    )


def _values(input: ServiceJobActionInput) -> list[GivenValue]:
    return [value.to_value() for value in input.additional_information]


async def start_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ServiceJobActionInput, strawberry.argument(description=Input)],
) -> ServiceJobPayload:
    return await _apply(info, input.id, input.version, JobAction.START, _values(input))


async def hold_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ServiceJobActionInput, strawberry.argument(description=Input)],
) -> ServiceJobPayload:
    return await _apply(info, input.id, input.version, JobAction.HOLD, _values(input))


async def open_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ServiceJobActionInput, strawberry.argument(description=Input)],
) -> ServiceJobPayload:
    return await _apply(info, input.id, input.version, JobAction.OPEN, _values(input))


async def finish_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ServiceJobActionInput, strawberry.argument(description=Input)],
) -> ServiceJobPayload:
    return await _apply(info, input.id, input.version, JobAction.FINISH, _values(input))


async def cancel_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[CancelServiceJobInput, strawberry.argument(description=Input)],
) -> ServiceJobPayload:
    return await _apply(
        info,
        input.id,
        input.version,
        JobAction.CANCEL,
        reason=service_jobs.GivenReason(
            reason=input.reason,
            reason_localized=dict(input.reason_localized)
            if input.reason_localized is not None
            else None,
            reason_code=input.reason_code,
        ),
    )


async def obsolete_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ObsoleteServiceJobInput, strawberry.argument(description=Input)],
) -> ServiceJobPayload:
    return await _apply(info, input.id, input.version, JobAction.OBSOLETE)
