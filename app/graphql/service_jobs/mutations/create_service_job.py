"""createServiceJob"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.graphql.service_jobs.inputs import CreateServiceJobInput
from app.graphql.service_jobs.payload import ServiceJobPayload
from app.services import service_jobs


async def create_service_job(
    info: strawberry.Info[Context, None],
    input: Annotated[CreateServiceJobInput, strawberry.argument(description="The new job.")],
) -> ServiceJobPayload:
    context = info.context
    return await answer(
        ServiceJobPayload,
        lambda: service_jobs.create_service_job(
            context.db, context.viewer, input.to_new_job(), context.settings.max_jobs_per_tree
        ),
        ServiceJobPayload.done,
    )
