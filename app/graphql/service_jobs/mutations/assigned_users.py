"""replaceServiceJobAssignedUsers"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.errors import DomainError
from app.graphql.context import Context
from app.graphql.service_jobs.payload import ServiceJobPayload
from app.services import service_jobs


@strawberry.input(description="The new set of users assigned to a job.")
class ReplaceServiceJobAssignedUsersInput:
    id: strawberry.ID = strawberry.field(description="The service job.")
    version: int = strawberry.field(description="The version last seen by the client.")
    assigned_users: list[str] = strawberry.field(description="User ids (≤ 10); [] clears.")


async def replace_service_job_assigned_users(
    info: strawberry.Info[Context, None],
    input: Annotated[
        ReplaceServiceJobAssignedUsersInput, strawberry.argument(description="The new users.")
    ],
) -> ServiceJobPayload:
    context = info.context
    try:
        row = await service_jobs.replace_assigned_users(
            context.db, context.viewer, str(input.id), input.version, input.assigned_users
        )
    except DomainError as error:
        return ServiceJobPayload.refused(error)
    return ServiceJobPayload.done(row)
