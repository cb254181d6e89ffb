"""Output types of service data."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.trees import MAX_DEPTH
from app.graphql.common.articles import Article
from app.graphql.context import Context
from app.graphql.cost import bounded
from app.repositories.service_data import ServiceDataState


@strawberry.type(description="One job's use of an item.")
class ExecutedServiceJobData:
    service_job_ref: strawberry.ID = strawberry.field(description="The job using the item.")
    sequence: int = strawberry.field(
        description="Execution order, the lower the earlier: 1 for the lowest job holding the "
        "item, then each job above it up to the root (a job beneath always comes first); "
        "renumbered as the tree and the selection change."
    )
    applied_quantity: int = strawberry.field(
        description="How many units the job works on: those it holds itself (its own line "
        "item or selected) and those passed on from the jobs beneath."
    )
    items_returnable: bool = strawberry.field(
        description="Whether the units can be returned after this job (from its service)."
    )


@strawberry.type(description="An item of the tree that its jobs may use.")
class AvailableLineItem:
    id: strawberry.ID = strawberry.field(description="Id of the item: the serviceItemRef.")
    article: Article = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many units there are.")
    available_quantity: int = strawberry.field(
        description="Units no job holds yet, 0 to quantity: units a job holds pass on to the "
        "jobs above it, so they are counted once."
    )
    executed_service_job_data: list[ExecutedServiceJobData] = strawberry.field(
        description="The jobs applying the item, in sequence order: from the lowest job holding "
        "it up to the root.",
        # One job per level at most, from the lowest job holding the item up to the root.
        metadata=bounded(MAX_DEPTH),
    )


@strawberry.type(description="The items of one tree and which of its jobs use them.")
class ServiceData:
    id: strawberry.ID = strawberry.field(description="Id of the service data.")
    version: int = strawberry.field(
        description="Bumps on every select, unselect and correction of its items."
    )
    linked_service_jobs_ref: strawberry.ID = strawberry.field(description="Its tree.")
    available_line_items: list[AvailableLineItem] = strawberry.field(
        description="Every item of the tree."
    )
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")

    @strawberry.field(description="Every job of the tree; they share this service data.")
    async def service_job_refs(self, info: strawberry.Info[Context, None]) -> list[strawberry.ID]:
        snapshot = await info.context.loaders.tree_by_id.load(str(self.linked_service_jobs_ref))
        return [strawberry.ID(i) for i in snapshot.jobs] if snapshot else []

    @classmethod
    def from_state(cls, state: ServiceDataState) -> ServiceData:
        return cls(
            id=strawberry.ID(state.id),
            version=state.version,
            linked_service_jobs_ref=strawberry.ID(state.linked_service_jobs_id),
            available_line_items=[
                AvailableLineItem(
                    id=strawberry.ID(item.id),
                    article=Article.from_json(state.articles[item.id]),
                    quantity=item.quantity,
                    available_quantity=item.available_as_recorded,
                    executed_service_job_data=[
                        ExecutedServiceJobData(
                            service_job_ref=strawberry.ID(u.job_id),
                            sequence=u.sequence,
                            applied_quantity=u.applied_quantity,
                            items_returnable=u.items_returnable,
                        )
                        for u in sorted(item.usages, key=lambda u: u.sequence)
                    ],
                )
                for item in state.items.values()
            ],
            created=state.created,
            last_modified=state.last_modified,
        )


async def service_data_of_tree(context: Context, tree_id: str) -> ServiceData | None:
    state = await context.loaders.service_data_by_tree_id.load(tree_id)
    return ServiceData.from_state(state) if state else None
