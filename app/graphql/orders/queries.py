"""Queries of orders."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Context
from app.graphql.orders.types import Order
from app.graphql.read_path.sources import RootCall, reads
from app.graphql.service_jobs.queries import items_to_fold, job_columns_read
from app.repositories.order_reads import order_with_jobs


async def load_order(context: Context, tenant_order_id: str) -> Order | None:
    """The order with its jobs (the resolver's and the read path's), in two statements
    without a transaction, its jobs with the columns the document reads (and their line
    items, when it reads them); null when there is
    none or its facility is out of the caller's scope."""
    viewer = context.viewer
    async with context.read_connection() as connection:
        found = await order_with_jobs(
            connection,
            viewer.tenant,
            tenant_order_id,
            viewer.sees_facility,
            job_columns_read(context),
            items_to_fold(context),
        )
    if found is None:
        return None
    return Order.of_rows(*found)


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
