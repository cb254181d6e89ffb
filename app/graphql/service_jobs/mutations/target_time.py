"""addServiceJobTargetTime"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.graphql.service_jobs.payload import ServiceJobPayload
from app.services import service_jobs


@strawberry.input(description="A new target time for a job.")
class AddServiceJobTargetTimeInput:
    id: strawberry.ID = strawberry.field(description="The service job.")
    version: int = strawberry.field(description="The version last seen by the client.")
    target_time: datetime = strawberry.field(description="The new target time.")


async def add_service_job_target_time(
    info: strawberry.Info[Context, None],
    input: Annotated[
        AddServiceJobTargetTimeInput, strawberry.argument(description="The new target time.")
    ],
) -> ServiceJobPayload:
    context = info.context
    return await answer(
        ServiceJobPayload,
        lambda: service_jobs.add_target_time(
            context.db, context.viewer, str(input.id), input.version, input.target_time
        ),
        ServiceJobPayload.done,
    )
