"""Queries of service data."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.service_jobs.service_data import ServiceData, service_data_of_tree


@strawberry.type
class ServiceDataQuery:
    @strawberry.field(description="The service data of a job's tree; null when there is no job.")
    async def service_data(
        self,
        info: strawberry.Info[Context, None],
        service_job_id: Annotated[strawberry.ID, strawberry.argument(description="A job.")],
    ) -> ServiceData | None:
        job = await info.context.loaders.service_job_by_id.load(str(service_job_id))
        return await service_data_of_tree(info, job.linked_service_jobs_id) if job else None
