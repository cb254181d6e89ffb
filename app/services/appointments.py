"""Appointments of service jobs and their fulfilment data (DOMAIN §7, seed 000)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app import crypto
from app.db import tables
from app.db.engine import SessionFactory
from app.domain import fulfillment
from app.domain.access import Viewer
from app.domain.errors import DomainError, ErrorCode, Problems, not_found, validation_failed
from app.domain.fulfillment import AppointmentStatus, TimeRange
from app.domain.job_status import TERMINAL, JobStatus
from app.domain.versioning import check_version
from app.repositories.appointments import AppointmentRepository
from app.repositories.service_jobs import ServiceJobRepository
from app.services import transaction


@dataclass(frozen=True, slots=True)
class Technician:
    technician_id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentRef:
    upload_destination_id: str
    content_sha256: str


@dataclass(frozen=True, slots=True)
class FulfillmentData:
    estimated_arrival: TimeRange | None = None
    fulfillment: TimeRange | None = None
    resources: Sequence[str] | None = None
    documents: Sequence[DocumentRef] | None = None


async def visible_job(session: AsyncSession, viewer: Viewer, job_id: str) -> tables.ServiceJob:
    job = await ServiceJobRepository(session, viewer.tenant).get(job_id)
    if job is None or not viewer.sees_facility(job.facility_ref):
        raise not_found("Service job", job_id, "serviceJobId")
    return job


def _open_job(job: tables.ServiceJob) -> None:
    if JobStatus(job.status) in TERMINAL:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            f"A service job in status {job.status} takes no appointments.",
            "serviceJobId",
        )


async def appointment_of_job(
    repo: AppointmentRepository, job: tables.ServiceJob, appointment_id: str
) -> tables.Appointment:
    appointment = await repo.get(appointment_id)
    if appointment is None or appointment.service_job_id != job.id:
        raise not_found("Appointment", appointment_id, "appointmentId")
    return appointment


def _check_time(start: datetime, duration: int, technicians: Sequence[Technician]) -> None:
    problems = Problems()
    fulfillment.check_appointment_time(start, duration, "appointmentTime", problems)
    fulfillment.check_technicians(
        [t.technician_id for t in technicians], "assignedTechnicians", problems
    )
    problems.raise_if_any()


async def add_appointment(
    db: SessionFactory,
    viewer: Viewer,
    job_id: str,
    start: datetime,
    duration: int,
    technicians: Sequence[Technician],
) -> tables.Appointment:
    _check_time(start, duration, technicians)
    async with transaction(db) as session:
        job = await visible_job(session, viewer, job_id)
        _open_job(job)
        row = _new(viewer.tenant, job.id, start, duration, technicians)
        await AppointmentRepository(session, viewer.tenant).add(row)
        return row


def _new(
    tenant: str, job_id: str, start: datetime, duration: int, technicians: Sequence[Technician]
) -> tables.Appointment:
    return tables.Appointment(
        id=str(uuid.uuid4()),
        tenant=tenant,
        service_job_id=job_id,
        status=AppointmentStatus.ACTIVE.value,
        start_time=start,
        duration_in_minutes=duration,
        assigned_technicians=[
            {"technicianId": t.technician_id, "name": t.name} for t in technicians
        ],
        appointment_resources=[],
    )


async def reschedule_appointment(
    db: SessionFactory,
    viewer: Viewer,
    job_id: str,
    appointment_id: str,
    version: int,
    start: datetime,
    duration: int,
    reason_code: str,
    technicians: Sequence[Technician] | None,
) -> tables.Appointment:
    """A new ACTIVE appointment linked to the old one, which is CANCELLED."""
    reason_problems = Problems()
    fulfillment.check_reschedule_reason(reason_code, "reasonCode", reason_problems)
    reason_problems.raise_if_any()
    _check_time(start, duration, technicians or ())
    async with transaction(db) as session:
        job = await visible_job(session, viewer, job_id)
        _open_job(job)
        repo = AppointmentRepository(session, viewer.tenant)
        old = await appointment_of_job(repo, job, appointment_id)
        check_version("The appointment", version, old.version)
        if old.status != AppointmentStatus.ACTIVE.value:
            raise DomainError.one(
                ErrorCode.INVALID_TRANSITION,
                f"Only an ACTIVE appointment can be rescheduled; this one is {old.status}.",
                "appointmentId",
            )
        kept = (
            technicians
            if technicians is not None
            else [Technician(t["technicianId"], t.get("name")) for t in old.assigned_technicians]
        )
        row = _new(viewer.tenant, job.id, start, duration, kept)
        row.rescheduled_appointment_id = old.id
        row.reschedule_reason_code = reason_code
        await repo.update(old.id, {"status": AppointmentStatus.CANCELLED.value})
        await repo.add(row)
        return row


async def set_fulfillment_data(
    db: SessionFactory,
    viewer: Viewer,
    now: datetime,
    job_id: str,
    appointment_id: str,
    data: FulfillmentData,
) -> tables.Appointment:
    """Record what happened at an appointment. Every problem is reported together and
    nothing is recorded unless everything is valid; parts left out stay as they were."""
    async with transaction(db) as session:
        job = await visible_job(session, viewer, job_id)
        repo = AppointmentRepository(session, viewer.tenant)
        appointment = await appointment_of_job(repo, job, appointment_id)
        problems = Problems()
        if JobStatus(job.status) in TERMINAL:
            problems.add(
                ErrorCode.INVALID_TRANSITION,
                f"The service job is {job.status}; its fulfilment data is final.",
                "serviceJobId",
            )
        if appointment.status != AppointmentStatus.ACTIVE.value:
            problems.add(
                ErrorCode.INVALID_TRANSITION,
                f"Fulfilment data is recorded on an ACTIVE appointment; this one is "
                f"{appointment.status}.",
                "appointmentId",
            )
        fulfillment.check_fulfillment_input(
            now=now,
            estimated_arrival=data.estimated_arrival,
            fulfillment=data.fulfillment,
            resources=data.resources,
            known_resources=[t["technicianId"] for t in appointment.assigned_technicians],
            documents=data.documents,
            problems=problems,
        )
        if data.documents:
            await _check_documents(repo, viewer, appointment.id, data.documents, problems)
        problems.raise_if_any()

        values: dict[str, object] = {}
        if data.estimated_arrival is not None:
            values["estimated_arrival_start"] = data.estimated_arrival.start
            values["estimated_arrival_end"] = data.estimated_arrival.end
        if data.fulfillment is not None:
            values["fulfillment_start"] = data.fulfillment.start
            values["fulfillment_end"] = data.fulfillment.end
        if data.resources is not None:
            values["appointment_resources"] = list(data.resources)
        await repo.update(appointment.id, values)
        if data.documents:
            await repo.attach([d.upload_destination_id for d in data.documents], appointment.id)
        updated = await repo.get(appointment.id)
        assert updated is not None
        return updated


async def _check_documents(
    repo: AppointmentRepository,
    viewer: Viewer,
    appointment_id: str,
    documents: Sequence[DocumentRef],
    problems: Problems,
) -> None:
    found = await repo.destinations([d.upload_destination_id for d in documents])
    facilities = await repo.facilities_of(
        {row.appointment_id for row in found.values() if row.appointment_id is not None}
    )
    for index, document in enumerate(documents):
        where = f"fulfillmentDocuments.{index}"
        row = found.get(document.upload_destination_id)
        facility = facilities[row.appointment_id] if row and row.appointment_id else None
        if row is None or not viewer.sees_document(row.created_by, row.created_scope, facility):
            problems.add(
                ErrorCode.NOT_FOUND,
                f"Upload destination {document.upload_destination_id!r} was not found.",
                f"{where}.uploadDestinationId",
            )
            continue
        if row.appointment_id not in (None, appointment_id):
            problems.add_conflict(
                "The document belongs to another appointment.", f"{where}.uploadDestinationId"
            )
            continue
        if row.data is None:
            problems.invalid(
                "Nothing was uploaded to this destination yet.", f"{where}.uploadDestinationId"
            )
            continue
        if row.content_sha256 != document.content_sha256:
            problems.invalid(
                "contentSha256 is not the SHA-256 (base64) of the uploaded encrypted bytes.",
                f"{where}.contentSha256",
            )
            continue
        try:
            plain = crypto.decrypt(row.key, row.iv, row.data)
        except ValueError:
            problems.invalid(
                "The uploaded document does not decrypt with its destination's key (AES-256-CBC, "
                "PKCS#7).",
                f"{where}.uploadDestinationId",
            )
            continue
        if len(plain) != row.content_length:
            problems.invalid(
                f"The document has {len(plain)} bytes, not the {row.content_length} announced.",
                f"{where}.uploadDestinationId",
            )


async def check_can_complete(session: AsyncSession, tenant: str, job: tables.ServiceJob) -> None:
    """A marketplace job completes only with fulfilment times and a document recorded on an
    ACTIVE appointment; that appointment then becomes COMPLETED."""
    repo = AppointmentRepository(session, tenant)
    appointments = (await repo.of_jobs([job.id]))[job.id]
    active = [a for a in appointments if a.status == AppointmentStatus.ACTIVE.value]
    documents = await repo.documents_of([a.id for a in active])
    ready = [
        a
        for a in active
        if a.fulfillment_start is not None and a.fulfillment_end is not None and documents[a.id]
    ]
    if not ready:
        raise validation_failed(
            "A marketplace job completes only after fulfilment times (start and end) and at "
            "least one fulfilment document are recorded on an ACTIVE appointment.",
            "id",
        )
    await repo.set_status_of_jobs(
        [job.id], AppointmentStatus.ACTIVE.value, AppointmentStatus.COMPLETED.value
    )


async def close_appointments(session: AsyncSession, tenant: str, job_ids: Sequence[str]) -> None:
    """Cancelled jobs' ACTIVE appointments are cancelled with them."""
    if job_ids:
        await AppointmentRepository(session, tenant).set_status_of_jobs(
            job_ids, AppointmentStatus.ACTIVE.value, AppointmentStatus.CANCELLED.value
        )
