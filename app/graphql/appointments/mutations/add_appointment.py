"""addAppointment"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.appointments.mutations.inputs import (
    AppointmentTimeInput,
    TechnicianInput,
    technicians,
)
from app.graphql.appointments.mutations.payload import AppointmentPayload
from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.services import appointments


@strawberry.input(description="A new appointment for a job.")
class AddAppointmentInput:
    service_job_id: strawberry.ID = strawberry.field(description="The job.")
    appointment_time: AppointmentTimeInput = strawberry.field(description="When.")
    assigned_technicians: list[TechnicianInput] = strawberry.field(
        default_factory=list, description="Who (≤ 20)."
    )


async def add_appointment(
    info: strawberry.Info[Context, None],
    input: Annotated[
        AddAppointmentInput,
        strawberry.argument(description="The job and when its appointment takes place."),
    ],
) -> AppointmentPayload:
    context = info.context
    return await answer(
        AppointmentPayload,
        lambda: appointments.add_appointment(
            context.db,
            context.viewer,
            str(input.service_job_id),
            input.appointment_time.start_time,
            input.appointment_time.duration_in_minutes,
            technicians(input.assigned_technicians),
        ),
        AppointmentPayload.done,
    )
