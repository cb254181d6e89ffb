"""Inputs shared by the appointment mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.services import appointments


@strawberry.input(description="When an appointment takes place.")
class AppointmentTimeInput:
    start_time: datetime = strawberry.field(description="Start, with a timezone.")
    duration_in_minutes: int = strawberry.field(description="Length in minutes (≥ 1).")


@strawberry.input(description="A technician.")
class TechnicianInput:
    technician_id: str = strawberry.field(description="The technician's id.")
    name: str | None = strawberry.field(default=None, description="The technician's name.")


def technicians(items: list[TechnicianInput]) -> list[appointments.Technician]:
    return [appointments.Technician(t.technician_id, t.name) for t in items]
