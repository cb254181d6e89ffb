"""assignAppointmentResources: who works on an ACTIVE appointment, changed without
rescheduling it (DOMAIN §7; Amazon's assignAppointmentResources)."""

from __future__ import annotations

from collections.abc import Sequence

from app.db import tables
from app.db.engine import SessionFactory
from app.domain import fulfillment
from app.domain.access import Viewer
from app.domain.errors import ErrorCode, Problems, version_conflict
from app.domain.fulfillment import AppointmentStatus
from app.domain.job_status import TERMINAL, JobStatus
from app.repositories.appointments import AppointmentRepository
from app.services import transaction
from app.services.appointments import appointment_of_job, visible_job


async def assign_resources(
    db: SessionFactory,
    viewer: Viewer,
    job_id: str,
    appointment_id: str,
    resources: Sequence[str],
    version: int | None,
) -> tables.Appointment:
    """Replace the appointment's assigned technicians by `resources` (a technician's name is
    kept while it stays assigned). Its time, status and id stay as they are: no reschedule.
    With `version`, a change made meanwhile is a VERSION_CONFLICT; every other problem is
    reported together, and nothing is written unless all is well."""
    async with transaction(db) as session:
        job = await visible_job(session, viewer, job_id)
        repo = AppointmentRepository(session, viewer.tenant)
        appointment = await appointment_of_job(repo, job, appointment_id)
        if version is not None and version != appointment.version:
            raise version_conflict("The appointment", version, appointment.version)
        problems = Problems()
        if JobStatus(job.status) in TERMINAL:
            problems.add(
                ErrorCode.INVALID_TRANSITION,
                f"The service job is {job.status}; its appointments are final.",
                "serviceJobId",
            )
        if appointment.status != AppointmentStatus.ACTIVE.value:
            problems.add(
                ErrorCode.INVALID_TRANSITION,
                "Resources are assigned to an ACTIVE appointment; this one is "
                f"{appointment.status}.",
                "appointmentId",
            )
        fulfillment.check_resource_assignment(
            resources, list(appointment.appointment_resources), "resources", problems
        )
        problems.raise_if_any()

        names = {t["technicianId"]: t.get("name") for t in appointment.assigned_technicians}
        technicians = [{"technicianId": r, "name": names.get(r)} for r in resources]
        current = appointment.version
        if not await repo.update_if_version(
            appointment.id, current, {"assigned_technicians": technicians}
        ):
            latest = await repo.get(appointment.id)
            raise version_conflict(
                "The appointment", version or current, latest.version if latest else current
            )
        updated = await repo.get(appointment.id)
        assert updated is not None
        return updated
