"""addAppointment, rescheduleAppointment, createServiceDocumentUploadDestination,
setAppointmentFulfillmentData."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from app import crypto
from app.db.types import utcnow
from app.domain.errors import DomainError
from app.domain.fulfillment import TimeRange as TimeRangeValue
from app.graphql.appointments.types import (
    Appointment,
    EncryptionDetails,
    UploadDestination,
)
from app.graphql.common.errors import UserError, user_errors
from app.graphql.context import Context
from app.services import appointments, documents

Input = "The mutation's input."


@strawberry.input(description="When an appointment takes place.")
class AppointmentTimeInput:
    start_time: datetime = strawberry.field(description="Start, with a timezone.")
    duration_in_minutes: int = strawberry.field(description="Length in minutes (≥ 1).")


@strawberry.input(description="A technician.")
class TechnicianInput:
    technician_id: str = strawberry.field(description="The technician's id.")
    name: str | None = strawberry.field(default=None, description="The technician's name.")


def _technicians(items: list[TechnicianInput]) -> list[appointments.Technician]:
    return [appointments.Technician(t.technician_id, t.name) for t in items]


@strawberry.input(description="A new appointment for a job.")
class AddAppointmentInput:
    service_job_id: strawberry.ID = strawberry.field(description="The job.")
    appointment_time: AppointmentTimeInput = strawberry.field(description="When.")
    assigned_technicians: list[TechnicianInput] = strawberry.field(
        default_factory=list, description="Who (≤ 20)."
    )


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


@strawberry.type(description="Result of a change to an appointment.")
class AppointmentPayload:
    appointment: Appointment | None = strawberry.field(
        description="The appointment after the change (the new one for a reschedule)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def add_appointment(
    info: strawberry.Info[Context, None],
    input: Annotated[AddAppointmentInput, strawberry.argument(description=Input)],
) -> AppointmentPayload:
    context = info.context
    try:
        row = await appointments.add_appointment(
            context.db,
            context.viewer,
            str(input.service_job_id),
            input.appointment_time.start_time,
            input.appointment_time.duration_in_minutes,
            _technicians(input.assigned_technicians),
        )
    except DomainError as error:
        return AppointmentPayload(appointment=None, user_errors=user_errors(error))
    return AppointmentPayload(appointment=Appointment.from_row(row), user_errors=[])


async def reschedule_appointment(
    info: strawberry.Info[Context, None],
    input: Annotated[RescheduleAppointmentInput, strawberry.argument(description=Input)],
) -> AppointmentPayload:
    context = info.context
    try:
        row = await appointments.reschedule_appointment(
            context.db,
            context.viewer,
            str(input.service_job_id),
            str(input.appointment_id),
            input.version,
            input.appointment_time.start_time,
            input.appointment_time.duration_in_minutes,
            input.reason_code,
            _technicians(input.assigned_technicians)
            if input.assigned_technicians is not None
            else None,
        )
    except DomainError as error:
        return AppointmentPayload(appointment=None, user_errors=user_errors(error))
    return AppointmentPayload(appointment=Appointment.from_row(row), user_errors=[])


@strawberry.input(description="A document to upload.")
class CreateServiceDocumentUploadDestinationInput:
    content_type: str = strawberry.field(description="TIFF, JPG, PNG, JPEG, GIF or PDF.")
    content_length: int = strawberry.field(
        description="Length of the plain document in bytes (1 to 5,242,880)."
    )
    content_md5: str | None = strawberry.field(
        default=None, name="contentMD5", description="Optional base64 MD5 of the plain document."
    )


@strawberry.type(description="Result of createServiceDocumentUploadDestination.")
class CreateServiceDocumentUploadDestinationPayload:
    upload_destination: UploadDestination | None = strawberry.field(
        description="Where and how to upload; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def create_service_document_upload_destination(
    info: strawberry.Info[Context, None],
    input: Annotated[
        CreateServiceDocumentUploadDestinationInput, strawberry.argument(description=Input)
    ],
) -> CreateServiceDocumentUploadDestinationPayload:
    context = info.context
    settings = context.settings
    try:
        created = await documents.create_destination(
            context.db,
            context.viewer,
            content_type=input.content_type,
            content_length=input.content_length,
            content_md5=input.content_md5,
            ttl=timedelta(minutes=settings.upload_url_ttl_minutes),
            secret=settings.signing_key,
        )
    except DomainError as error:
        return CreateServiceDocumentUploadDestinationPayload(
            upload_destination=None, user_errors=user_errors(error)
        )
    base = settings.public_base_url or str(context.request.base_url).rstrip("/")
    row = created.row
    return CreateServiceDocumentUploadDestinationPayload(
        upload_destination=UploadDestination(
            upload_destination_id=strawberry.ID(row.id),
            url=f"{base.rstrip('/')}/uploads/{created.token}",
            encryption_details=EncryptionDetails(
                standard="AES", key=crypto.b64(row.key), initialization_vector=crypto.b64(row.iv)
            ),
            expires_at=row.expires_at,
        ),
        user_errors=[],
    )


@strawberry.input(description="A span of time.")
class TimeRangeInput:
    start_time: datetime | None = strawberry.field(default=None, description="Start.")
    end_time: datetime | None = strawberry.field(default=None, description="End.")

    def to_value(self) -> TimeRangeValue:
        return TimeRangeValue(self.start_time, self.end_time)


@strawberry.input(description="A technician who did the work.")
class AppointmentResourceInput:
    resource_id: str = strawberry.field(description="A technician id of the appointment.")


@strawberry.input(description="An uploaded document to record.")
class FulfillmentDocumentInput:
    upload_destination_id: strawberry.ID = strawberry.field(description="Its destination.")
    content_sha256: str = strawberry.field(
        description="Base64 SHA-256 of the encrypted bytes that were uploaded."
    )


@strawberry.input(description="What happened at an appointment; parts left out stay as they were.")
class SetAppointmentFulfillmentDataInput:
    service_job_id: strawberry.ID = strawberry.field(description="The job.")
    appointment_id: strawberry.ID = strawberry.field(description="An ACTIVE appointment of it.")
    estimated_arrival_time: TimeRangeInput | None = strawberry.field(
        default=None, description="When the technician is expected (start and end)."
    )
    fulfillment_time: TimeRangeInput | None = strawberry.field(
        default=None, description="When the work started and ended: UTC, not in the future."
    )
    appointment_resources: list[AppointmentResourceInput] | None = strawberry.field(
        default=None, description="The technicians who did the work."
    )
    fulfillment_documents: list[FulfillmentDocumentInput] | None = strawberry.field(
        default=None, description="Uploaded documents, each with the digest of its upload."
    )


async def set_appointment_fulfillment_data(
    info: strawberry.Info[Context, None],
    input: Annotated[SetAppointmentFulfillmentDataInput, strawberry.argument(description=Input)],
) -> AppointmentPayload:
    context = info.context
    data = appointments.FulfillmentData(
        estimated_arrival=(
            input.estimated_arrival_time.to_value() if input.estimated_arrival_time else None
        ),
        fulfillment=input.fulfillment_time.to_value() if input.fulfillment_time else None,
        resources=(
            [r.resource_id for r in input.appointment_resources]
            if input.appointment_resources is not None
            else None
        ),
        documents=(
            [
                appointments.DocumentRef(str(d.upload_destination_id), d.content_sha256)
                for d in input.fulfillment_documents
            ]
            if input.fulfillment_documents is not None
            else None
        ),
    )
    try:
        row = await appointments.set_fulfillment_data(
            context.db,
            context.viewer,
            utcnow(),
            str(input.service_job_id),
            str(input.appointment_id),
            data,
        )
    except DomainError as error:
        return AppointmentPayload(appointment=None, user_errors=user_errors(error))
    return AppointmentPayload(appointment=Appointment.from_row(row), user_errors=[])


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
