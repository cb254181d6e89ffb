"""Queries of orders."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.orders.types import Order
from app.graphql.read_path.sources import RootCall, reads
from app.repositories.service_jobs import ServiceJobRepository


async def load_order(context: Context, tenant_order_id: str) -> Order | None:
    """The order with its jobs (the resolver's and the read path's); null when there is none
    or its facility is out of the caller's scope."""
    viewer = context.viewer
    async with context.reads() as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        row = await repo.order(tenant_order_id)
        if row is None or not viewer.sees_facility(row.facility_ref):
            return None
        jobs = await repo.jobs_of_order(row)
    return Order.build(row, jobs)


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description="An order by the tenant's order id; null when there is none.",
        metadata=reads(root=RootCall(load_order)),
    )
    async def order(
        self,
        info: strawberry.Info[Context, None],
        tenant_order_id: Annotated[str, strawberry.argument(description="The order id.")],
    ) -> Order | None:
        return await load_order(info.context, tenant_order_id)
