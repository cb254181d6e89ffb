"""Orders as the schema shows them."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.db import tables
from app.domain.orders import JobEnd, order_status
from app.graphql.context import Context
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

    @strawberry.field(description="The trees of its jobs.")
    async def linked_service_jobs(
        self, info: strawberry.Info[Context, None]
    ) -> list[LinkedServiceJobs]:
        snapshots = await info.context.loaders.tree_by_id.load_many(self._tree_ids)
        return [
            view_of_snapshot(s, info.context.loaders.tree_views).tree
            for s in snapshots
            if s is not None
        ]

    @classmethod
    def build(cls, row: tables.ServiceOrder, jobs: list[tables.ServiceJob]) -> Order:
        return cls(
            id=strawberry.ID(row.id),
            tenant_order_id=row.tenant_order_id,
            facility_ref=row.facility_ref,
            target_time=row.target_time,
            marketplace_id=row.marketplace_id,
            service_type=row.service_type,
            status=OrderStatus[order_status([JobEnd(j.status, j.ended_at) for j in jobs])],
            service_jobs=[ServiceJob.from_row(j) for j in jobs],
            created=row.created,
            _tree_ids=list(dict.fromkeys(j.linked_service_jobs_id for j in jobs)),
        )
