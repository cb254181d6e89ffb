"""Output types of appointments and documents."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from app.db import tables
from app.domain.reason_codes import ReasonCode
from app.graphql.context import Context
from app.graphql.read_path.relations import LoadedRelation
from app.graphql.read_path.sources import attached, reads


@strawberry.enum(description="Where an appointment stands.")
class AppointmentStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Planned; fulfilment data goes here.")
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="Called off: rescheduled, or its job was cancelled."
    )
    COMPLETED = strawberry.enum_value("COMPLETED", description="Its job was completed.")


@strawberry.type(description="When an appointment takes place.")
class AppointmentTime:
    start_time: datetime = strawberry.field(description="Start (UTC).")
    duration_in_minutes: int = strawberry.field(description="Length in minutes (≥ 1).")


@strawberry.type(description="A technician assigned to an appointment.")
class Technician:
    technician_id: str = strawberry.field(description="The technician's id (a resource id).")
    name: str | None = strawberry.field(description="The technician's name.")


@strawberry.type(description="A span of time.")
class TimeRange:
    start_time: datetime | None = strawberry.field(description="Start (UTC).")
    end_time: datetime | None = strawberry.field(description="End (UTC).")


@strawberry.type(description="A fulfilment document recorded on an appointment.")
class FulfillmentDocument:
    upload_destination_id: strawberry.ID = strawberry.field(
        description="Its destination; GET /documents/{id} returns the decrypted document."
    )
    content_type: str = strawberry.field(description="TIFF, JPG, PNG, JPEG, GIF or PDF.")
    content_length: int = strawberry.field(description="Length of the plain document in bytes.")
    content_sha256: str | None = strawberry.field(
        description="Base64 SHA-256 of the uploaded encrypted bytes."
    )

    @classmethod
    def from_row(cls, row: tables.UploadDestination) -> FulfillmentDocument:
        return cls(
            upload_destination_id=strawberry.ID(row.id),
            content_type=row.content_type,
            content_length=row.content_length,
            content_sha256=row.content_sha256,
        )


def _documents_made(rows: list[Any] | None) -> list[FulfillmentDocument]:
    return [FulfillmentDocument.from_row(row) for row in rows or ()]


def _appointment_id(appointment: Any) -> str:
    return str(appointment.appointment_id)


#: `Appointment.fulfillmentDocuments`: the documents of every appointment of a level in one
#: statement (only the columns a document shows; the request's loader batches levels
#: completed side by side and reads each appointment's once), attached to each appointment.
DOCUMENTS_OF_APPOINTMENTS = LoadedRelation(
    "_documents", _appointment_id, "document_rows_by_appointment_id", _documents_made
)


@strawberry.type(description="An appointment of a service job and what happened at it.")
class Appointment:
    appointment_id: strawberry.ID = strawberry.field(description="Id of the appointment.")
    service_job_ref: strawberry.ID = strawberry.field(description="Its job.")
    status: AppointmentStatus = strawberry.field(description="ACTIVE, CANCELLED or COMPLETED.")
    appointment_time: AppointmentTime = strawberry.field(description="When it takes place.")
    assigned_technicians: list[Technician] = strawberry.field(description="Who does it.")
    rescheduled_appointment_id: strawberry.ID | None = strawberry.field(
        description="The appointment this one replaces, if it was rescheduled."
    )
    reschedule_reason_code: str | None = strawberry.field(
        description="Why it was rescheduled, if it was."
    )
    estimated_arrival_time: TimeRange | None = strawberry.field(
        description="When the technician is expected."
    )
    fulfillment_time: TimeRange | None = strawberry.field(
        description="When the work actually started and ended (UTC)."
    )
    appointment_resources: list[str] = strawberry.field(
        description="The technicians who actually did the work."
    )
    version: int = strawberry.field(description="Optimistic-locking version.")
    created: datetime = strawberry.field(description="When it was made (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")

    #: Its documents when a level's read attached them (DOCUMENTS_OF_APPOINTMENTS).
    _documents: strawberry.Private[list[FulfillmentDocument] | None] = None

    @strawberry.field(
        description="Documents recorded as proof of the work.",
        metadata=reads(getter=attached("_documents"), relation=DOCUMENTS_OF_APPOINTMENTS),
    )
    async def fulfillment_documents(
        self, info: strawberry.Info[Context, None]
    ) -> list[FulfillmentDocument]:
        if self._documents is not None:
            return self._documents
        rows = await info.context.loaders.documents_by_appointment_id.load(str(self.appointment_id))
        return [FulfillmentDocument.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: tables.Appointment) -> Appointment:
        def span(start: datetime | None, end: datetime | None) -> TimeRange | None:
            return (
                None if start is None and end is None else TimeRange(start_time=start, end_time=end)
            )

        return cls(
            appointment_id=strawberry.ID(row.id),
            service_job_ref=strawberry.ID(row.service_job_id),
            status=AppointmentStatus[row.status],
            appointment_time=AppointmentTime(
                start_time=row.start_time, duration_in_minutes=row.duration_in_minutes
            ),
            assigned_technicians=[
                Technician(technician_id=t["technicianId"], name=t.get("name"))
                for t in row.assigned_technicians
            ],
            rescheduled_appointment_id=(
                strawberry.ID(row.rescheduled_appointment_id)
                if row.rescheduled_appointment_id
                else None
            ),
            reschedule_reason_code=row.reschedule_reason_code,
            estimated_arrival_time=span(row.estimated_arrival_start, row.estimated_arrival_end),
            fulfillment_time=span(row.fulfillment_start, row.fulfillment_end),
            appointment_resources=list(row.appointment_resources),
            version=row.version,
            created=row.created,
            last_modified=row.last_modified,
        )


@strawberry.type(description="A reason code for cancelling a marketplace job.")
class CancellationReason:
    code: str = strawberry.field(description="The code to send as reasonCode.")
    description: str = strawberry.field(description="What it means.")

    @classmethod
    def from_code(cls, code: ReasonCode) -> CancellationReason:
        return cls(code=code.code, description=code.description)


@strawberry.type(description="How to encrypt a document for its upload destination.")
class EncryptionDetails:
    standard: str = strawberry.field(description="Always AES (AES-256-CBC, PKCS#7 padding).")
    key: str = strawberry.field(description="Base64 of the 32-byte key. Returned only once.")
    initialization_vector: str = strawberry.field(description="Base64 of the 16-byte IV.")


@strawberry.type(description="Where and how to upload one fulfilment document.")
class UploadDestination:
    upload_destination_id: strawberry.ID = strawberry.field(description="Id of the destination.")
    url: str = strawberry.field(
        description="Signed, single-use url on this gateway: PUT the encrypted bytes there with "
        "the document's MIME type; no bearer token needed."
    )
    encryption_details: EncryptionDetails = strawberry.field(description="Key material.")
    expires_at: datetime = strawberry.field(description="When the url stops working (UTC).")


def _appointments_made(rows: list[Any] | None) -> list[Appointment]:
    return [Appointment.from_row(row) for row in rows or ()]


def _job_id(job: Any) -> str:
    return str(job.id)


#: `ServiceJob.appointments`: the appointments of every job of a level in one statement (the
#: request's loader, as for documents), attached to each job (the next level's parents:
#: their documents are read for all of them at once too).
APPOINTMENTS_OF_JOBS = LoadedRelation(
    "_appointments", _job_id, "appointment_rows_by_job_id", _appointments_made
)
