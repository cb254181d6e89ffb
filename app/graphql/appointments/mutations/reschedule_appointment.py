"""rescheduleAppointment"""

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


@strawberry.input(description="Move an ACTIVE appointment: a new one replaces it.")
class RescheduleAppointmentInput:
    service_job_id: strawberry.ID = strawberry.field(description="The job.")
    appointment_id: strawberry.ID = strawberry.field(description="The appointment to move.")
    version: int = strawberry.field(description="The appointment's version last seen.")
    appointment_time: AppointmentTimeInput = strawberry.field(description="The new time.")
    reason_code: str = strawberry.field(description="Why it is rescheduled.")
    assigned_technicians: list[TechnicianInput] | None = strawberry.field(
        default=None, description="New technicians; absent keeps the old ones."
    )


async def reschedule_appointment(
    info: strawberry.Info[Context, None],
    input: Annotated[
        RescheduleAppointmentInput,
        strawberry.argument(description="The appointment to move, its new time and why."),
    ],
) -> AppointmentPayload:
    context = info.context
    return await answer(
        AppointmentPayload,
        lambda: appointments.reschedule_appointment(
            context.db,
            context.viewer,
            str(input.service_job_id),
            str(input.appointment_id),
            input.version,
            input.appointment_time.start_time,
            input.appointment_time.duration_in_minutes,
            input.reason_code,
            technicians(input.assigned_technicians)
            if input.assigned_technicians is not None
            else None,
        ),
        AppointmentPayload.done,
    )
