"""addServiceJobLink"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.db import tables
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.service_jobs.types import LinkedServiceJobs, view_of_snapshot
from app.services import service_jobs


@strawberry.input(description="Link a job into a tree.")
class AddServiceJobLinkInput:
    linked_service_jobs_id: strawberry.ID = strawberry.field(description="The target tree.")
    service_job_id: strawberry.ID = strawberry.field(
        description="The job; it must be alone in its own tree."
    )
    service_job_link_id: strawberry.ID | None = strawberry.field(
        default=None, description="Put it beneath this link; absent: at the root level."
    )


@strawberry.type(description="Result of addServiceJobLink.")
class AddServiceJobLinkPayload(MutationPayload):
    linked_service_jobs: LinkedServiceJobs | None = strawberry.field(
        description="The tree after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def add_service_job_link(
    info: strawberry.Info[Context, None],
    input: Annotated[AddServiceJobLinkInput, strawberry.argument(description="The link.")],
) -> AddServiceJobLinkPayload:
    context = info.context

    async def linked(tree: tables.LinkedServiceJobs) -> AddServiceJobLinkPayload:
        snapshot = await context.loaders.fresh_tree(tree.id)
        assert snapshot is not None
        return AddServiceJobLinkPayload(
            linked_service_jobs=view_of_snapshot(snapshot, context.loaders.tree_views).tree,
            user_errors=[],
        )

    return await answer(
        AddServiceJobLinkPayload,
        lambda: service_jobs.add_service_job_link(
            context.db,
            context.viewer,
            str(input.linked_service_jobs_id),
            str(input.service_job_id),
            str(input.service_job_link_id) if input.service_job_link_id else None,
            context.settings.max_jobs_per_tree,
        ),
        linked,
    )
