"""Mutations of appointments, one module each."""

from __future__ import annotations

import strawberry

from app.graphql.appointments.mutations.add_appointment import add_appointment
from app.graphql.appointments.mutations.assign_resources import assign_appointment_resources
from app.graphql.appointments.mutations.fulfillment_data import set_appointment_fulfillment_data
from app.graphql.appointments.mutations.reschedule_appointment import reschedule_appointment
from app.graphql.appointments.mutations.upload_destination import (
    create_service_document_upload_destination,
)


@strawberry.type
class AppointmentMutation:
    add_appointment = strawberry.mutation(
        resolver=add_appointment, description="Give a job an ACTIVE appointment."
    )
    reschedule_appointment = strawberry.mutation(
        resolver=reschedule_appointment,
        description="Move an ACTIVE appointment: the old one is CANCELLED and a new one, linked "
        "to it, is made with the reason code.",
    )
    create_service_document_upload_destination = strawberry.mutation(
        resolver=create_service_document_upload_destination,
        description="Make a place to upload one encrypted fulfilment document, with fresh key "
        "material (returned only here) and a signed, expiring, single-use url.",
    )
    set_appointment_fulfillment_data = strawberry.mutation(
        resolver=set_appointment_fulfillment_data,
        description="Record arrival and fulfilment times, resources and documents of an ACTIVE "
        "appointment; every problem is reported together and nothing is recorded unless all "
        "is valid.",
    )
    assign_appointment_resources = strawberry.mutation(
        resolver=assign_appointment_resources,
        description="Set the resources (assigned technicians) of an ACTIVE appointment without "
        "rescheduling it: its id, time and status stay, its version grows. Technicians whose "
        "names were known keep them.",
    )
