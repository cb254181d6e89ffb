"""Facility custom service connections."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.types import utcnow
from app.repositories.pagination import Page, PageRequest, count, fetch_page

FC = tables.FacilityCustomServiceConnection


class FacilityConnectionRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    async def get(self, ident: str) -> tables.FacilityCustomServiceConnection | None:
        result = await self.session.exec(select(FC).where(FC.id == ident, FC.tenant == self.tenant))
        return result.first()

    async def find(
        self, facility_ref: str, custom_service_id: str
    ) -> tables.FacilityCustomServiceConnection | None:
        result = await self.session.exec(
            select(FC).where(
                FC.tenant == self.tenant,
                FC.facility_ref == facility_ref,
                FC.custom_service_id == custom_service_id,
            )
        )
        return result.first()

    async def list_for_facility(
        self, facility_ref: str, page: PageRequest
    ) -> Page[tables.FacilityCustomServiceConnection]:
        statement = select(FC).where(FC.tenant == self.tenant, FC.facility_ref == facility_ref)
        return await fetch_page(self.session, statement, col(FC.created), col(FC.id), page)

    async def count_for_facility(self, facility_ref: str) -> int:
        return await count(
            self.session, FC, col(FC.tenant) == self.tenant, col(FC.facility_ref) == facility_ref
        )

    async def get_many_by_service(
        self, service_ids: Collection[str]
    ) -> dict[str, list[tables.FacilityCustomServiceConnection]]:
        grouped: dict[str, list[tables.FacilityCustomServiceConnection]] = {
            i: [] for i in service_ids
        }
        if not service_ids:
            return grouped
        result = await self.session.exec(
            select(FC)
            .where(col(FC.custom_service_id).in_(list(service_ids)), FC.tenant == self.tenant)
            .order_by(col(FC.created), col(FC.id))
        )
        for row in result.all():
            grouped[row.custom_service_id].append(row)
        return grouped

    async def add(self, row: tables.FacilityCustomServiceConnection) -> None:
        self.session.add(row)
        await self.session.flush()

    async def update_if_version(
        self, ident: str, expected_version: int, values: Mapping[str, Any]
    ) -> bool:
        result = await self.session.exec(
            update(FC)
            .where(col(FC.id) == ident, col(FC.tenant) == self.tenant)
            .where(col(FC.version) == expected_version)
            .values(**values, version=FC.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def reload(self, ident: str) -> tables.FacilityCustomServiceConnection:
        result = await self.session.exec(
            select(FC)
            .where(FC.id == ident, FC.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.one()

    async def delete(self, ident: str) -> None:
        await self.session.exec(
            delete(FC).where(col(FC.id) == ident, col(FC.tenant) == self.tenant)
        )
