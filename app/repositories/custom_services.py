"""Custom services, their additional information and their prerequisites."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.types import utcnow
from app.repositories.pagination import Page, PageRequest, count, fetch_page

CS = tables.CustomService
AI = tables.CustomServiceAdditionalInformation
REQ = tables.CustomServiceRequirement


@dataclass(frozen=True, slots=True)
class CustomServiceFilter:
    status: str | None = None
    tenant_custom_service_id: str | None = None


class CustomServiceRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    async def get(self, ident: str) -> tables.CustomService | None:
        result = await self.session.exec(select(CS).where(CS.id == ident, CS.tenant == self.tenant))
        return result.first()

    async def get_many(self, ids: Collection[str]) -> dict[str, tables.CustomService]:
        if not ids:
            return {}
        result = await self.session.exec(
            select(CS).where(col(CS.id).in_(list(ids)), CS.tenant == self.tenant)
        )
        return {row.id: row for row in result.all()}

    async def get_by_tenant_ref(self, ref: str) -> tables.CustomService | None:
        result = await self.session.exec(
            select(CS).where(CS.tenant == self.tenant, CS.tenant_custom_service_id == ref)
        )
        return result.first()

    def _filtered(self, flt: CustomServiceFilter) -> Any:
        conditions: list[Any] = [CS.tenant == self.tenant]
        if flt.status is not None:
            conditions.append(CS.status == flt.status)
        if flt.tenant_custom_service_id is not None:
            conditions.append(CS.tenant_custom_service_id == flt.tenant_custom_service_id)
        return conditions

    async def list_page(
        self, flt: CustomServiceFilter, page: PageRequest
    ) -> Page[tables.CustomService]:
        statement = select(CS).where(*self._filtered(flt))
        return await fetch_page(self.session, statement, col(CS.created), col(CS.id), page)

    async def count(self, flt: CustomServiceFilter) -> int:
        return await count(self.session, CS, *self._filtered(flt))

    async def add(self, row: tables.CustomService) -> None:
        self.session.add(row)
        await self.session.flush()

    async def update_if_version(
        self, ident: str, expected_version: int, values: Mapping[str, Any]
    ) -> bool:
        """Apply `values` and bump the version only if the stored version is still the one the
        client saw. The check and the write are one statement, so no concurrent writer slips in
        between."""
        result = await self.session.exec(
            update(CS)
            .where(col(CS.id) == ident, col(CS.tenant) == self.tenant)
            .where(col(CS.version) == expected_version)
            .values(**values, version=CS.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def reload(self, ident: str) -> tables.CustomService:
        result = await self.session.exec(
            select(CS)
            .where(CS.id == ident, CS.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.one()

    # additional information

    async def additional_information(
        self, service_ids: Collection[str]
    ) -> dict[str, list[tables.CustomServiceAdditionalInformation]]:
        grouped: dict[str, list[tables.CustomServiceAdditionalInformation]] = {
            i: [] for i in service_ids
        }
        if not service_ids:
            return grouped
        result = await self.session.exec(
            select(AI)
            .where(col(AI.custom_service_id).in_(list(service_ids)), AI.tenant == self.tenant)
            .order_by(col(AI.custom_service_id), col(AI.position), col(AI.id))
        )
        for row in result.all():
            grouped[row.custom_service_id].append(row)
        return grouped

    async def add_additional_information(
        self, rows: Sequence[tables.CustomServiceAdditionalInformation]
    ) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def delete_additional_information(self, ident: str) -> None:
        await self.session.exec(
            delete(AI).where(col(AI.id) == ident, col(AI.tenant) == self.tenant)
        )

    # prerequisites

    async def requirements(self, service_ids: Collection[str]) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {i: [] for i in service_ids}
        if not service_ids:
            return grouped
        result = await self.session.exec(
            select(REQ)
            .where(col(REQ.custom_service_id).in_(list(service_ids)), REQ.tenant == self.tenant)
            .order_by(col(REQ.custom_service_id), col(REQ.position))
        )
        for row in result.all():
            grouped[row.custom_service_id].append(row.required_custom_service_id)
        return grouped

    async def requirement_graph(self) -> dict[str, list[str]]:
        """The tenant's whole prerequisite graph; small (services, not jobs), read in one query."""
        result = await self.session.exec(
            select(REQ).where(REQ.tenant == self.tenant).order_by(col(REQ.position))
        )
        graph: dict[str, list[str]] = {}
        for row in result.all():
            graph.setdefault(row.custom_service_id, []).append(row.required_custom_service_id)
        return graph

    async def replace_requirements(self, service_id: str, required_ids: Sequence[str]) -> None:
        await self.session.exec(
            delete(REQ).where(
                col(REQ.custom_service_id) == service_id, col(REQ.tenant) == self.tenant
            )
        )
        self.session.add_all(
            REQ(
                custom_service_id=service_id,
                required_custom_service_id=required,
                tenant=self.tenant,
                position=position,
            )
            for position, required in enumerate(required_ids)
        )
        await self.session.flush()
