"""replaceServiceJobAssignedUsers"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.assigned_users import UserRef
from app.domain.errors import validation_failed
from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.graphql.service_jobs.payload import ServiceJobPayload
from app.services import service_jobs


@strawberry.input(description="A user to assign, by id, by username or both (at least one).")
class AssignedUserInput:
    user_id: str | None = strawberry.field(default=None, description="The user's id.")
    username: str | None = strawberry.field(default=None, description="The user's username.")

    def to_ref(self) -> UserRef:
        return UserRef(self.user_id, self.username)


@strawberry.input(
    description="The new set of users assigned to a job: give `users` (or, as before, "
    "`assignedUsers`), not both."
)
class ReplaceServiceJobAssignedUsersInput:
    id: strawberry.ID = strawberry.field(description="The service job.")
    version: int = strawberry.field(description="The version last seen by the client.")
    users: list[AssignedUserInput] | None = strawberry.field(
        default=None, description="The users (≤ 10), each by userId or username; [] clears."
    )
    assigned_users: list[str] | None = strawberry.field(
        default=None,
        description="User ids (≤ 10); [] clears.",
        deprecation_reason="Use `users`, which also takes usernames.",
    )

    def to_refs(self) -> list[UserRef]:
        if (self.users is None) == (self.assigned_users is None):
            raise validation_failed("Give either `users` or `assignedUsers`.", "users")
        if self.users is not None:
            return [user.to_ref() for user in self.users]
        return [UserRef(user_id=user) for user in self.assigned_users or ()]


async def replace_service_job_assigned_users(
    info: strawberry.Info[Context, None],
    input: Annotated[
        ReplaceServiceJobAssignedUsersInput, strawberry.argument(description="The new users.")
    ],
) -> ServiceJobPayload:
    context = info.context
    return await answer(
        ServiceJobPayload,
        lambda: service_jobs.replace_assigned_users(
            context.db, context.viewer, str(input.id), input.version, input.to_refs()
        ),
        ServiceJobPayload.done,
    )
