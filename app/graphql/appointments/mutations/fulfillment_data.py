"""setAppointmentFulfillmentData"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.db.types import utcnow
from app.domain.fulfillment import TimeRange as TimeRangeValue
from app.graphql.appointments.mutations.payload import AppointmentPayload
from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.services import appointments


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
    input: Annotated[
        SetAppointmentFulfillmentDataInput,
        strawberry.argument(description="The appointment and what happened at it."),
    ],
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
    return await answer(
        AppointmentPayload,
        lambda: appointments.set_fulfillment_data(
            context.db,
            context.viewer,
            utcnow(),
            str(input.service_job_id),
            str(input.appointment_id),
            data,
        ),
        AppointmentPayload.done,
    )
