"""Queries of service data."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.read_path.sources import RootCall, reads
from app.graphql.service_jobs.service_data import ServiceData, service_data_of_tree


async def service_data_of_job(context: Context, service_job_id: str) -> ServiceData | None:
    """The service data of a job's tree (the resolver's and the read path's)."""
    job = await context.loaders.service_job_by_id.load(str(service_job_id))
    return await service_data_of_tree(context, job.linked_service_jobs_id) if job else None


@strawberry.type
class ServiceDataQuery:
    @strawberry.field(
        description="The service data of a job's tree; null when there is no job.",
        metadata=reads(root=RootCall(service_data_of_job)),
    )
    async def service_data(
        self,
        info: strawberry.Info[Context, None],
        service_job_id: Annotated[strawberry.ID, strawberry.argument(description="A job.")],
    ) -> ServiceData | None:
        return await service_data_of_job(info.context, str(service_job_id))
