"""Queries of linked service job trees."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.service_jobs.types import LinkedServiceJobs, view_of_snapshot


@strawberry.type
class TreeQuery:
    @strawberry.field(
        description="A whole tree by id — links nested 25 levels deep, or flat — read with a "
        "fixed number of SQL statements whatever its size; null when there is none."
    )
    async def linked_service_jobs(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The tree.")],
    ) -> LinkedServiceJobs | None:
        snapshot = await info.context.loaders.tree_by_id.load(str(id))
        return (
            view_of_snapshot(snapshot, info.context.loaders.tree_views).tree if snapshot else None
        )
