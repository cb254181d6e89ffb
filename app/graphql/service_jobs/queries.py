"""Queries of service jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.graphql.common.pagination import After, Connection, First, page_request, paged
from app.graphql.context import Context
from app.graphql.service_jobs.enums import ServiceJobStatus
from app.graphql.service_jobs.types import ServiceJob
from app.repositories.service_jobs import ServiceJobFilter, ServiceJobRepository


@strawberry.input(description="Narrows a list of service jobs; all given conditions apply.")
class ServiceJobFilterInput:
    status: ServiceJobStatus | None = strawberry.field(default=None, description="This status.")
    facility_ref: str | None = strawberry.field(default=None, description="This facility.")
    tenant_order_id: str | None = strawberry.field(default=None, description="This order.")
    custom_service_ref: strawberry.ID | None = strawberry.field(
        default=None, description="Made from this custom service."
    )
    target_time_from: datetime | None = strawberry.field(
        default=None, description="Target time at or after this."
    )
    target_time_to: datetime | None = strawberry.field(
        default=None, description="Target time at or before this."
    )

    def to_filter(self) -> ServiceJobFilter:
        return ServiceJobFilter(
            status=self.status.name if self.status else None,
            facility_ref=self.facility_ref,
            tenant_order_id=self.tenant_order_id,
            custom_service_ref=str(self.custom_service_ref) if self.custom_service_ref else None,
            target_time_from=self.target_time_from,
            target_time_to=self.target_time_to,
        )


@strawberry.type
class ServiceJobQuery:
    @strawberry.field(description="A service job by id; null when there is none (or not yours).")
    async def service_job(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The service job.")],
    ) -> ServiceJob | None:
        row = await info.context.loaders.service_job_by_id.load(str(id))
        return ServiceJob.from_row(row) if row else None

    @strawberry.field(description="Service jobs, oldest first.")
    async def service_jobs(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        filter: Annotated[
            ServiceJobFilterInput | None, strawberry.argument(description="Conditions.")
        ] = None,
    ) -> Connection[ServiceJob]:
        context = info.context
        page = page_request(context.settings, first, after)
        flt = (filter or ServiceJobFilterInput()).to_filter()
        viewer = context.viewer
        return await paged(
            context.db,
            lambda s: ServiceJobRepository(s, viewer.tenant).list_page(
                flt, page, viewer.facilities
            ),
            lambda s: ServiceJobRepository(s, viewer.tenant).count(flt, viewer.facilities),
            ServiceJob.from_row,
        )
