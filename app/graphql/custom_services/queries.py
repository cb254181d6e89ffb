"""Queries of custom services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import strawberry

from app.graphql.common.pagination import (
    After,
    Connection,
    First,
    page_request,
    paged,
    to_connection,
)
from app.graphql.context import Context
from app.graphql.custom_services.enums import CustomServiceStatus
from app.graphql.custom_services.types import CustomService
from app.graphql.read_path.sources import reads
from app.repositories.custom_service_reads import service_count, service_page, services_by_id
from app.repositories.custom_services import CustomServiceFilter, CustomServiceRepository


@strawberry.input(description="Narrows a list of custom services; all given conditions apply.")
class CustomServiceFilterInput:
    status: CustomServiceStatus | None = strawberry.field(
        default=None, description="Only services with this status."
    )
    tenant_custom_service_id: str | None = strawberry.field(
        default=None, description="Only the service with this tenant id."
    )

    def to_filter(self) -> CustomServiceFilter:
        return CustomServiceFilter(
            status=self.status.name if self.status else None,
            tenant_custom_service_id=self.tenant_custom_service_id,
        )


class CustomServiceById:
    """`customService(id)`: one statement; another tenant's service is null."""

    async def read(self, context: Context, arguments: Mapping[str, Any]) -> CustomService | None:
        ident = str(arguments["id"])
        async with context.read_connection() as connection:
            rows = await services_by_id(connection, context.viewer.tenant, [ident])
        row = rows.get(ident)
        return CustomService.from_row(row) if row is not None else None


class CustomServicePage:
    """`customServices`: the page in one statement; its `totalCount` in another, only when
    asked for."""

    async def read(
        self, context: Context, arguments: Mapping[str, Any]
    ) -> Connection[CustomService]:
        page = page_request(context.settings, arguments.get("first"), arguments.get("after"))
        flt = (arguments.get("filter") or CustomServiceFilterInput()).to_filter()
        tenant = context.viewer.tenant
        async with context.read_connection(any_statement=True) as connection:
            rows = await service_page(connection, tenant, flt, page)

        async def total() -> int:
            async with context.read_connection(any_statement=True) as connection:
                return await service_count(connection, tenant, flt)

        return to_connection(rows, CustomService.from_row, total)


@strawberry.type
class CustomServiceQuery:
    @strawberry.field(
        description="A custom service by id; null when there is none.",
        metadata=reads(root=CustomServiceById()),
    )
    async def custom_service(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The custom service.")],
    ) -> CustomService | None:
        row = await info.context.loaders.custom_service_by_id.load(str(id))
        return CustomService.from_row(row) if row else None

    @strawberry.field(
        description="Custom services of the tenant, oldest first.",
        metadata=reads(root=CustomServicePage()),
    )
    async def custom_services(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        filter: Annotated[
            CustomServiceFilterInput | None, strawberry.argument(description="Conditions.")
        ] = None,
    ) -> Connection[CustomService]:
        context = info.context
        page = page_request(context.settings, first, after)
        flt = (filter or CustomServiceFilterInput()).to_filter()
        tenant = context.viewer.tenant
        return await paged(
            context.reads,
            lambda s: CustomServiceRepository(s, tenant).list_page(flt, page),
            lambda s: CustomServiceRepository(s, tenant).count(flt),
            CustomService.from_row,
        )
