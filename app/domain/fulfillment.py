"""Appointments, fulfilment data and document uploads (DOMAIN §7, seed 000): the rules that
need no database, clock or crypto (the caller passes `now` and what it found)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.errors import Problems
from app.domain.text_limits import CODE_LENGTH

MAX_DOCUMENT_LENGTH = 5_242_880
AES_BLOCK = 16
MAX_TECHNICIANS = 20
MAX_RESOURCES = 20
MAX_DOCUMENTS = 20
MAX_DURATION_MINUTES = 7 * 24 * 60

#: Content types of fulfilment documents and the MIME type their upload must carry.
MIME_TYPES: Mapping[str, str] = {
    "TIFF": "image/tiff",
    "JPG": "image/jpeg",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "PDF": "application/pdf",
}


class AppointmentStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


def encrypted_length(content_length: int) -> int:
    """Bytes of an AES-256-CBC, PKCS#7 padded document: always at least one byte of padding."""
    return (content_length // AES_BLOCK + 1) * AES_BLOCK


def check_destination(content_type: str, content_length: int, problems: Problems) -> None:
    if content_type not in MIME_TYPES:
        problems.invalid(f"contentType must be one of {', '.join(MIME_TYPES)}.", "contentType")
    if not 1 <= content_length <= MAX_DOCUMENT_LENGTH:
        problems.invalid(
            f"contentLength must be between 1 and {MAX_DOCUMENT_LENGTH} bytes.", "contentLength"
        )


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime | None
    end: datetime | None


def check_appointment_time(start: datetime, duration: int, where: str, problems: Problems) -> None:
    if start.tzinfo is None:
        problems.invalid("startTime needs a timezone.", f"{where}.startTime")
    if not 1 <= duration <= MAX_DURATION_MINUTES:
        problems.invalid(
            f"durationInMinutes must be between 1 and {MAX_DURATION_MINUTES}.",
            f"{where}.durationInMinutes",
        )


def check_reschedule_reason(code: str, where: str, problems: Problems) -> None:
    """A reschedule names its reason with a code of 1 to CODE_LENGTH characters."""
    if not code.strip() or len(code) > CODE_LENGTH:
        problems.invalid(f"Give a reschedule reason code (1 to {CODE_LENGTH} characters).", where)


def check_technicians(ids: Sequence[str], where: str, problems: Problems) -> None:
    if len(ids) > MAX_TECHNICIANS:
        problems.too_many(f"At most {MAX_TECHNICIANS} technicians.", where)
    if len(set(ids)) != len(ids):
        problems.invalid("A technician is listed twice.", where)


def check_resource_assignment(
    resources: Sequence[str], recorded: Sequence[str], where: str, problems: Problems
) -> None:
    """The resources (technician ids) an appointment is to have instead of its current ones:
    1 to MAX_TECHNICIANS distinct, non-blank ids, keeping every resource the fulfilment data
    already records as having done the work (record others there first)."""
    if not resources:
        problems.invalid("Give at least one resource.", where)
    if len(resources) > MAX_TECHNICIANS:
        problems.too_many(f"At most {MAX_TECHNICIANS} resources.", where)
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        if not resource.strip():
            problems.invalid("A resourceId cannot be blank.", f"{where}.{index}.resourceId")
        elif resource in seen:
            problems.invalid(
                f"Resource {resource!r} is listed twice.", f"{where}.{index}.resourceId"
            )
        seen.add(resource)
    dropped = [r for r in recorded if r not in seen]
    if dropped:
        problems.invalid(
            f"The fulfilment data records {', '.join(map(repr, dropped))} as having done the "
            "work; keep them, or record other appointmentResources first.",
            where,
        )


def check_fulfillment_input(
    *,
    now: datetime,
    estimated_arrival: TimeRange | None,
    fulfillment: TimeRange | None,
    resources: Sequence[str] | None,
    known_resources: Sequence[str],
    documents: Sequence[object] | None,
    problems: Problems,
) -> None:
    """Every rule on the fulfilment data itself; problems are collected, not raised."""
    if estimated_arrival is None and fulfillment is None and not resources and not documents:
        problems.invalid(
            "Give at least one of estimatedArrivalTime, fulfillmentTime, appointmentResources "
            "and fulfillmentDocuments."
        )
    if estimated_arrival is not None:
        if estimated_arrival.start is None or estimated_arrival.end is None:
            problems.invalid(
                "An estimated arrival time needs both startTime and endTime.",
                "estimatedArrivalTime",
            )
        elif estimated_arrival.end <= estimated_arrival.start:
            problems.invalid("endTime must be after startTime.", "estimatedArrivalTime.endTime")
    if fulfillment is not None:
        _check_fulfillment_time(fulfillment, now, problems)
    if resources is not None:
        if len(resources) > MAX_RESOURCES:
            problems.too_many(f"At most {MAX_RESOURCES} resources.", "appointmentResources")
        for index, resource in enumerate(resources):
            if resource not in known_resources:
                problems.invalid(
                    f"Resource {resource!r} is not a technician of this appointment.",
                    f"appointmentResources.{index}.resourceId",
                )
    if documents is not None and len(documents) > MAX_DOCUMENTS:
        problems.too_many(f"At most {MAX_DOCUMENTS} documents.", "fulfillmentDocuments")


def _check_fulfillment_time(times: TimeRange, now: datetime, problems: Problems) -> None:
    where = "fulfillmentTime"
    for name, value in (("startTime", times.start), ("endTime", times.end)):
        if value is None:
            continue
        if value.utcoffset() != timedelta(0):
            problems.invalid(
                "Fulfilment times are given in UTC (offset +00:00 or Z).", f"{where}.{name}"
            )
        elif value > now:
            problems.invalid("Fulfilment times cannot be in the future.", f"{where}.{name}")
    if times.start is None:
        problems.invalid("A fulfilment time needs a startTime.", f"{where}.startTime")
    if times.start is not None and times.end is not None and times.end <= times.start:
        problems.invalid("endTime must be after startTime.", f"{where}.endTime")
