"""Appointments and upload destinations."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.types import utcnow

APPOINTMENT = tables.Appointment
DESTINATION = tables.UploadDestination


class AppointmentRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    async def get(self, ident: str) -> tables.Appointment | None:
        result = await self.session.exec(
            select(APPOINTMENT)
            .where(APPOINTMENT.id == ident, APPOINTMENT.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.first()

    async def of_jobs(self, job_ids: Collection[str]) -> dict[str, list[tables.Appointment]]:
        grouped: dict[str, list[tables.Appointment]] = {i: [] for i in job_ids}
        if not job_ids:
            return grouped
        result = await self.session.exec(
            select(APPOINTMENT)
            .where(col(APPOINTMENT.service_job_id).in_(list(job_ids)))
            .where(APPOINTMENT.tenant == self.tenant)
            .order_by(col(APPOINTMENT.created), col(APPOINTMENT.id))
        )
        for row in result.all():
            grouped[row.service_job_id].append(row)
        return grouped

    async def add(self, row: Any) -> None:
        self.session.add(row)
        await self.session.flush()

    async def update(self, ident: str, values: Mapping[str, Any]) -> None:
        await self.session.exec(
            update(APPOINTMENT)
            .where(col(APPOINTMENT.id) == ident, col(APPOINTMENT.tenant) == self.tenant)
            .values(**values, version=APPOINTMENT.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def update_if_version(self, ident: str, version: int, values: Mapping[str, Any]) -> bool:
        """Like update, only while the appointment is still at `version`."""
        result = await self.session.exec(
            update(APPOINTMENT)
            .where(col(APPOINTMENT.id) == ident, col(APPOINTMENT.tenant) == self.tenant)
            .where(col(APPOINTMENT.version) == version)
            .values(**values, version=APPOINTMENT.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def set_status_of_jobs(
        self, job_ids: Collection[str], from_status: str, to_status: str
    ) -> None:
        await self.session.exec(
            update(APPOINTMENT)
            .where(col(APPOINTMENT.service_job_id).in_(list(job_ids)))
            .where(col(APPOINTMENT.tenant) == self.tenant, col(APPOINTMENT.status) == from_status)
            .values(status=to_status, version=APPOINTMENT.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )

    # upload destinations

    async def destination(self, ident: str) -> tables.UploadDestination | None:
        result = await self.session.exec(
            select(DESTINATION)
            .where(DESTINATION.id == ident, DESTINATION.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.first()

    async def destinations(self, ids: Collection[str]) -> dict[str, tables.UploadDestination]:
        if not ids:
            return {}
        result = await self.session.exec(
            select(DESTINATION).where(
                col(DESTINATION.id).in_(list(ids)), DESTINATION.tenant == self.tenant
            )
        )
        return {row.id: row for row in result.all()}

    async def facilities_of(self, appointment_ids: Collection[str]) -> dict[str, str]:
        """The facility of each appointment's job."""
        if not appointment_ids:
            return {}
        result = await self.session.exec(
            select(APPOINTMENT.id, tables.ServiceJob.facility_ref)
            .join(tables.ServiceJob, col(tables.ServiceJob.id) == APPOINTMENT.service_job_id)
            .where(col(APPOINTMENT.id).in_(list(appointment_ids)))
            .where(APPOINTMENT.tenant == self.tenant)
        )
        return dict(result.all())

    async def documents_of(
        self, appointment_ids: Collection[str]
    ) -> dict[str, list[tables.UploadDestination]]:
        grouped: dict[str, list[tables.UploadDestination]] = {i: [] for i in appointment_ids}
        if not appointment_ids:
            return grouped
        result = await self.session.exec(
            select(DESTINATION)
            .where(col(DESTINATION.appointment_id).in_(list(appointment_ids)))
            .where(DESTINATION.tenant == self.tenant)
            .order_by(col(DESTINATION.created), col(DESTINATION.id))
        )
        for row in result.all():
            assert row.appointment_id is not None
            grouped[row.appointment_id].append(row)
        return grouped

    async def attach(self, destination_ids: Collection[str], appointment_id: str) -> None:
        await self.session.exec(
            update(DESTINATION)
            .where(col(DESTINATION.id).in_(list(destination_ids)))
            .where(col(DESTINATION.tenant) == self.tenant)
            .values(appointment_id=appointment_id)
            .execution_options(synchronize_session=False)
        )
