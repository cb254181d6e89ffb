"""Mutations of trees."""

from __future__ import annotations

import strawberry

from app.graphql.trees.mutations.add_service_job_link import add_service_job_link


@strawberry.type
class TreeMutation:
    add_service_job_link = strawberry.mutation(
        resolver=add_service_job_link,
        description="Move a job that is alone in its own tree into a tree, at the root level "
        "or beneath a link (its job then waits for it); the job's own tree disappears.",
    )
