"""Queries of custom services."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.pagination import After, Connection, First, page_request, paged
from app.graphql.context import Context
from app.graphql.custom_services.enums import CustomServiceStatus
from app.graphql.custom_services.types import CustomService
from app.repositories.custom_services import CustomServiceFilter, CustomServiceRepository


@strawberry.input(description="Narrows a list of custom services; all given conditions apply.")
class CustomServiceFilterInput:
    status: CustomServiceStatus | None = strawberry.field(
        default=None, description="Only services with this status."
    )
    tenant_custom_service_id: str | None = strawberry.field(
        default=None, description="Only the service with this tenant id."
    )


@strawberry.type
class CustomServiceQuery:
    @strawberry.field(description="A custom service by id; null when there is none.")
    async def custom_service(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The custom service.")],
    ) -> CustomService | None:
        row = await info.context.loaders.custom_service_by_id.load(str(id))
        return CustomService.from_row(row) if row else None

    @strawberry.field(description="Custom services of the tenant, oldest first.")
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
        given = filter or CustomServiceFilterInput()
        flt = CustomServiceFilter(
            status=given.status.name if given.status else None,
            tenant_custom_service_id=given.tenant_custom_service_id,
        )
        tenant = context.viewer.tenant
        return await paged(
            context.reads,
            lambda s: CustomServiceRepository(s, tenant).list_page(flt, page),
            lambda s: CustomServiceRepository(s, tenant).count(flt),
            CustomService.from_row,
        )
