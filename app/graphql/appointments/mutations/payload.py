"""The payload every appointment mutation returns."""

from __future__ import annotations

import strawberry

from app.db import tables
from app.graphql.appointments.types import Appointment
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload


@strawberry.type(description="Result of a change to an appointment.")
class AppointmentPayload(MutationPayload):
    appointment: Appointment | None = strawberry.field(
        description="The appointment after the change (the new one for a reschedule)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")

    @classmethod
    def done(cls, row: tables.Appointment) -> AppointmentPayload:
        return cls(appointment=Appointment.from_row(row), user_errors=[])
