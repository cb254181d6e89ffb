"""Orders as the schema shows them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from app.db import tables
from app.domain.orders import JobEnd, order_status
from app.graphql.context import Context
from app.graphql.read_path.relations import distinct
from app.graphql.read_path.sources import attached, reads
from app.graphql.service_jobs.queries import row_job
from app.graphql.service_jobs.types import LinkedServiceJobs, ServiceJob, view_of_snapshot


@strawberry.enum(description="Where an order stands; derived from its jobs.")
class OrderStatus(enum.Enum):
    OPEN = strawberry.enum_value("OPEN", description="Some job has not ended.")
    COMPLETED = strawberry.enum_value(
        "COMPLETED",
        description="Every job ended, and the last one to be finished or cancelled finished.",
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED",
        description="Every job ended, and the last one to be finished or cancelled was "
        "cancelled (even if a sibling finished before), or every job became obsolete.",
    )


class TreesOfOrders:
    """`Order.linkedServiceJobs`: the trees of every order of a level, read at once (three
    statements however many, by the request's tree loader); a tree the caller may not see is
    left out, as the resolver leaves it out."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        missing = [order for order in parents if order._trees is None]
        unread = distinct(tree for order in missing for tree in order._tree_ids)
        found = await context.loaders.trees(unread)
        views = context.loaders.tree_views
        for order in missing:
            order._trees = [
                view_of_snapshot(snapshot, views).tree
                for tree in order._tree_ids
                if (snapshot := found[tree]) is not None
            ]
        return list({id(tree): tree for order in parents for tree in order._trees}.values())


TREES_OF_ORDERS = TreesOfOrders()


@strawberry.type(description="An order whose custom services became a tree of service jobs.")
class Order:
    id: strawberry.ID = strawberry.field(description="Id of the order.")
    tenant_order_id: str = strawberry.field(description="The tenant's order id.")
    facility_ref: str = strawberry.field(
        description="Its facility: its jobs are those carrying its order id in this facility."
    )
    target_time: datetime = strawberry.field(description="Target time of its jobs (UTC).")
    marketplace_id: str | None = strawberry.field(description="Marketplace, if any.")
    service_type: str | None = strawberry.field(description="Service type, if any.")
    status: OrderStatus = strawberry.field(description="Derived from its jobs.")
    service_jobs: list[ServiceJob] = strawberry.field(description="Its jobs, oldest first.")
    created: datetime = strawberry.field(description="When it was created (UTC).")
    _tree_ids: strawberry.Private[list[str]]
    #: Its trees when a level's read attached them (TREES_OF_ORDERS).
    _trees: strawberry.Private[list[LinkedServiceJobs] | None] = None

    @strawberry.field(
        description="The trees of its jobs.",
        metadata=reads(getter=attached("_trees"), relation=TREES_OF_ORDERS, tree_parts=True),
    )
    async def linked_service_jobs(
        self, info: strawberry.Info[Context, None]
    ) -> list[LinkedServiceJobs]:
        await TREES_OF_ORDERS.fetch(info.context, [self])  # nothing when attached already
        return self._trees or []

    @classmethod
    def of_rows(cls, row: Any, jobs: list[Any]) -> Order:
        """From driver rows of an order and its jobs (app/repositories/order_reads.py): its
        jobs read through to their rows."""
        return cls._made(row, jobs, [row_job(job) for job in jobs])

    @classmethod
    def _made(cls, row: Any, jobs: list[Any], service_jobs: list[ServiceJob]) -> Order:
        return cls(
            id=strawberry.ID(row.id),
            tenant_order_id=row.tenant_order_id,
            facility_ref=row.facility_ref,
            target_time=row.target_time,
            marketplace_id=row.marketplace_id,
            service_type=row.service_type,
            status=OrderStatus[order_status([JobEnd(j.status, j.ended_at) for j in jobs])],
            service_jobs=service_jobs,
            created=row.created,
            _tree_ids=list(dict.fromkeys(j.linked_service_jobs_id for j in jobs)),
        )

    @classmethod
    def build(cls, row: tables.ServiceOrder, jobs: list[tables.ServiceJob]) -> Order:
        """From ORM rows of an order and its jobs (a mutation's answer)."""
        return cls._made(row, jobs, [ServiceJob.from_row(job) for job in jobs])
