"""selectItemsForServiceJob and unselectItemsForServiceJob."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.db import tables
from app.domain.service_data import Entry
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.service_jobs.service_data import ServiceData
from app.graphql.service_jobs.types import ServiceJob
from app.repositories.service_data import ServiceDataState
from app.services.service_data import change_items


@strawberry.input(description="How many units of an item.")
class ServiceItemInput:
    service_item_ref: strawberry.ID = strawberry.field(
        description="An item of the tree's service data (AvailableLineItem.id)."
    )
    quantity: int = strawberry.field(description="How many units (at least 1).")


@strawberry.input(description="Items to select or unselect for a NOT_READY job.")
class ServiceJobItemsInput:
    service_job_id: strawberry.ID = strawberry.field(description="The job.")
    service_job_version: int = strawberry.field(description="The job's version last seen.")
    items: list[ServiceItemInput] = strawberry.field(description="1 to 50 items.")


@strawberry.type(description="Result of selecting or unselecting items.")
class ServiceJobItemsPayload(MutationPayload):
    service_job: ServiceJob | None = strawberry.field(
        description="The job after the change (its version bumped); null when refused."
    )
    service_data: ServiceData | None = strawberry.field(
        description="The tree's service data after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def _change(
    info: strawberry.Info[Context, None], input: ServiceJobItemsInput, *, select: bool
) -> ServiceJobItemsPayload:
    context = info.context
    return await answer(
        ServiceJobItemsPayload,
        lambda: change_items(
            context.db,
            context.viewer,
            str(input.service_job_id),
            input.service_job_version,
            [Entry(str(i.service_item_ref), i.quantity) for i in input.items],
            select=select,
        ),
        _changed,
    )


def _changed(change: tuple[tables.ServiceJob, ServiceDataState]) -> ServiceJobItemsPayload:
    job, state = change
    return ServiceJobItemsPayload(
        service_job=ServiceJob.from_row(job),
        service_data=ServiceData.from_state(state),
        user_errors=[],
    )


async def select_items_for_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ServiceJobItemsInput, strawberry.argument(description="The items.")],
) -> ServiceJobItemsPayload:
    return await _change(info, input, select=True)


async def unselect_items_for_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[ServiceJobItemsInput, strawberry.argument(description="The items.")],
) -> ServiceJobItemsPayload:
    return await _change(info, input, select=False)


@strawberry.type
class ServiceDataMutation:
    select_items_for_service_job = strawberry.mutation(
        resolver=select_items_for_service_job,
        description="Select units of the tree's items for a NOT_READY job: they join its "
        "lineItems and pass on to every job above it (counting towards their requiredLineItems "
        "without a select of their own). An item used in one branch can only be used by the "
        "jobs above it, never in a parallel branch.",
    )
    unselect_items_for_service_job = strawberry.mutation(
        resolver=unselect_items_for_service_job,
        description="Give back units a NOT_READY job selected (they leave its lineItems); units "
        "passed on from a job beneath, or the job's own line items, cannot be unselected.",
    )
