"""assignAppointmentResources: set who works on an ACTIVE appointment without rescheduling it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.appointments.mutations.payload import AppointmentPayload
from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.services import appointment_resources


@strawberry.input(description="A resource (technician) to assign to an appointment.")
class AssignedResourceInput:
    resource_id: str = strawberry.field(
        description="The technician's id; it becomes one of the appointment's assignedTechnicians."
    )


@strawberry.input(
    description="The resources an ACTIVE appointment is to have instead of its current ones."
)
class AssignAppointmentResourcesInput:
    service_job_id: strawberry.ID = strawberry.field(description="The job.")
    appointment_id: strawberry.ID = strawberry.field(description="An ACTIVE appointment of it.")
    resources: list[AssignedResourceInput] = strawberry.field(
        description="Every resource of the appointment from now on: 1 to 20 distinct "
        "technicians, keeping those its fulfilment data records as having done the work."
    )
    version: int | None = strawberry.field(
        default=None,
        description="The appointment's version last seen; when given, a change made meanwhile "
        "is refused with VERSION_CONFLICT.",
    )


async def assign_appointment_resources(
    info: strawberry.Info[Context, None],
    input: Annotated[
        AssignAppointmentResourcesInput, strawberry.argument(description="The mutation's input.")
    ],
) -> AppointmentPayload:
    context = info.context
    return await answer(
        AppointmentPayload,
        lambda: appointment_resources.assign_resources(
            context.db,
            context.viewer,
            str(input.service_job_id),
            str(input.appointment_id),
            [r.resource_id for r in input.resources],
            input.version,
        ),
        AppointmentPayload.done,
    )
