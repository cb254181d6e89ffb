"""Appointments and their fulfilment documents read for the API by their parents' ids: one
statement for any number of parents (the ids are one list parameter, so each statement is
compiled once), driver rows on a read connection, no transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection
from app.repositories.tree_reads import LazyRow, in_list, rows_by_parent, undecoded_columns

APPOINTMENT = tables.Appointment
DESTINATION = tables.UploadDestination

APPOINTMENT_COLUMNS, APPOINTMENT_DECODERS = undecoded_columns(
    APPOINTMENT.__table__  # type: ignore[attr-defined]
)
_DESTINATION_COLUMNS, DOCUMENT_DECODERS = undecoded_columns(
    DESTINATION.__table__  # type: ignore[attr-defined]
)
#: What a fulfilment document shows, and its appointment to group by: never the stored
#: bytes or the key material.
DOCUMENT_COLUMNS = [
    column
    for column in _DESTINATION_COLUMNS
    if column.name in {"id", "appointment_id", "content_type", "content_length", "content_sha256"}
]


def _appointments_of_jobs(postgresql: bool) -> Any:
    return (
        select(*APPOINTMENT_COLUMNS)
        .where(
            in_list(col(APPOINTMENT.service_job_id), "ids", postgresql),
            col(APPOINTMENT.tenant) == bindparam("tenant"),
        )
        # Each job's oldest first, as AppointmentRepository.of_jobs orders them.
        .order_by(col(APPOINTMENT.service_job_id), col(APPOINTMENT.created), col(APPOINTMENT.id))
    )


def _documents_of_appointments(postgresql: bool) -> Any:
    return (
        select(*DOCUMENT_COLUMNS)
        .where(
            in_list(col(DESTINATION.appointment_id), "ids", postgresql),
            col(DESTINATION.tenant) == bindparam("tenant"),
        )
        # Each appointment's in the order they were made, as AppointmentRepository.documents_of
        # orders them (the id breaks ties between documents made in the same microsecond).
        .order_by(col(DESTINATION.appointment_id), col(DESTINATION.created), col(DESTINATION.id))
    )


async def appointment_rows(
    reads: ReadConnection, tenant: str, job_ids: Sequence[str]
) -> dict[str, list[LazyRow]]:
    """The appointments of these jobs in one statement, by job, each job's oldest first."""
    return await rows_by_parent(
        reads,
        tenant,
        job_ids,
        ("appointments of jobs",),
        _appointments_of_jobs,
        APPOINTMENT_DECODERS,
        "service_job_id",
    )


async def document_rows(
    reads: ReadConnection, tenant: str, appointment_ids: Sequence[str]
) -> dict[str, list[LazyRow]]:
    """The fulfilment documents recorded on these appointments in one statement, by
    appointment, in the order they were made."""
    return await rows_by_parent(
        reads,
        tenant,
        appointment_ids,
        ("documents of appointments",),
        _documents_of_appointments,
        DOCUMENT_DECODERS,
        "appointment_id",
    )
