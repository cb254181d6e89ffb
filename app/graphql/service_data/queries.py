"""Queries of service data."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.read_path.sources import RootCall, reads
from app.graphql.service_jobs.service_data import ServiceData, service_data_of_tree
from app.repositories.tree_reads import job_by_id

#: What the job is read for: its tree (its facility is always read, for the caller's scope).
_TREE_OF_JOB = frozenset({"linked_service_jobs_id"})


async def service_data_of_job(context: Context, service_job_id: str) -> ServiceData | None:
    """The service data of a job's tree (the resolver's and the read path's): the job's tree
    and then its service data, a statement each, without a transaction; null for a job the
    caller may not see."""
    viewer = context.viewer
    async with context.read_connection() as reads:
        job = await job_by_id(reads, viewer.tenant, str(service_job_id), _TREE_OF_JOB)
    if job is None or not viewer.sees_facility(job.facility_ref):
        return None
    return await service_data_of_tree(context, job.linked_service_jobs_id)


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
