"""Connecting custom services to facilities (DOMAIN §2)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.db import tables
from app.db.engine import SessionFactory
from app.domain.access import Viewer
from app.domain.custom_services import CustomServiceStatus, check_execution_time, check_ref
from app.domain.errors import Problems, conflict, not_found, version_conflict
from app.domain.versioning import check_version
from app.repositories.custom_services import CustomServiceRepository
from app.repositories.facility_connections import FacilityConnectionRepository
from app.services import transaction


@dataclass(frozen=True, slots=True)
class ConnectionChanges:
    """Fields to change; None means "leave as is" except where `clear_*` says otherwise."""

    status: CustomServiceStatus | None = None
    execution_time_in_min: int | None = None
    clear_execution_time: bool = False


def _check_facility(viewer: Viewer, facility_ref: str) -> None:
    # A facility outside the caller's scope is reported like one that does not exist.
    if not viewer.sees_facility(facility_ref):
        raise not_found("Facility", facility_ref, "facilityId")


async def create_connection(
    db: SessionFactory,
    viewer: Viewer,
    *,
    facility_ref: str,
    custom_service_id: str,
    status: CustomServiceStatus,
    execution_time_in_min: int | None,
    ident: str | None = None,
) -> tables.FacilityCustomServiceConnection:
    problems = Problems()
    check_ref(facility_ref, "facilityId", problems)
    check_execution_time(execution_time_in_min, "executionTimeInMin", problems)
    problems.raise_if_any()
    _check_facility(viewer, facility_ref)
    async with transaction(db) as session:
        if await CustomServiceRepository(session, viewer.tenant).get(custom_service_id) is None:
            raise not_found("Custom service", custom_service_id, "customServiceId")
        repo = FacilityConnectionRepository(session, viewer.tenant)
        if await repo.find(facility_ref, custom_service_id) is not None:
            raise conflict(
                f"Facility {facility_ref!r} is already connected to custom service "
                f"{custom_service_id!r}; update that connection instead.",
                "customServiceId",
            )
        row = tables.FacilityCustomServiceConnection(
            id=ident or str(uuid.uuid4()),
            tenant=viewer.tenant,
            facility_ref=facility_ref,
            custom_service_id=custom_service_id,
            status=status.value,
            execution_time_in_min=execution_time_in_min,
        )
        await repo.add(row)
        return row


async def _get_visible(
    repo: FacilityConnectionRepository, viewer: Viewer, ident: str
) -> tables.FacilityCustomServiceConnection:
    row = await repo.get(ident)
    if row is None or not viewer.sees_facility(row.facility_ref):
        raise not_found("Facility custom service connection", ident)
    return row


async def update_connection(
    db: SessionFactory, viewer: Viewer, ident: str, version: int, changes: ConnectionChanges
) -> tables.FacilityCustomServiceConnection:
    problems = Problems()
    check_execution_time(changes.execution_time_in_min, "executionTimeInMin", problems)
    if (
        changes.status is None
        and changes.execution_time_in_min is None
        and not (changes.clear_execution_time)
    ):
        problems.invalid("Name at least one field to change.")
    problems.raise_if_any()
    async with transaction(db) as session:
        repo = FacilityConnectionRepository(session, viewer.tenant)
        row = await _get_visible(repo, viewer, ident)
        check_version("The connection", version, row.version)
        values: dict[str, object] = {}
        if changes.status is not None:
            values["status"] = changes.status.value
        if changes.execution_time_in_min is not None or changes.clear_execution_time:
            values["execution_time_in_min"] = changes.execution_time_in_min
        if not await repo.update_if_version(ident, version, values):
            raise version_conflict("The connection", version, (await repo.reload(ident)).version)
        return await repo.reload(ident)


async def delete_connection(
    db: SessionFactory, viewer: Viewer, ident: str, version: int | None
) -> tables.FacilityCustomServiceConnection:
    async with transaction(db) as session:
        repo = FacilityConnectionRepository(session, viewer.tenant)
        row = await _get_visible(repo, viewer, ident)
        if version is not None:
            check_version("The connection", version, row.version)
        await repo.delete(ident)
        return row
