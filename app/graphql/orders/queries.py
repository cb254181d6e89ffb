"""Queries of orders."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.orders.types import Order
from app.repositories.service_jobs import ServiceJobRepository


async def load_order(context: Context, tenant_order_id: str) -> Order | None:
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
    @strawberry.field(description="An order by the tenant's order id; null when there is none.")
    async def order(
        self,
        info: strawberry.Info[Context, None],
        tenant_order_id: Annotated[str, strawberry.argument(description="The order id.")],
    ) -> Order | None:
        return await load_order(info.context, tenant_order_id)
