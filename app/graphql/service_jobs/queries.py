"""Queries of service jobs."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_window,
    paged,
)
from app.graphql.context import Context
from app.graphql.service_jobs.filters import (
    OrderDirection,
    ServiceJobFilterInput,
    ServiceJobOrderField,
    ServiceJobOrderInput,
)
from app.graphql.service_jobs.types import ServiceJob
from app.repositories.job_search import JobSearch, job_sort_key


@strawberry.type
class ServiceJobQuery:
    @strawberry.field(description="A service job by id; null when there is none (or not yours).")
    async def service_job(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The service job.")],
    ) -> ServiceJob | None:
        row = await info.context.loaders.service_job_by_id.load(str(id))
        return ServiceJob.from_row(row) if row else None

    @strawberry.field(
        description="Service jobs of your tenant (and your facilities), filtered and ordered "
        "(default: oldest first), paged forwards (`first`/`after`) or backwards "
        "(`last`/`before`) by cursors that hold the order's key and the job's id."
    )
    async def service_jobs(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ServiceJobFilterInput | None, strawberry.argument(description="Conditions.")
        ] = None,
        order_by: Annotated[
            ServiceJobOrderInput | None,
            strawberry.argument(description="The order (default: CREATED, ASC)."),
        ] = None,
    ) -> Connection[ServiceJob]:
        context = info.context
        window = page_window(context.settings, first, after, last, before)
        flt = (filter or ServiceJobFilterInput()).to_filter()
        order = order_by or ServiceJobOrderInput(field=ServiceJobOrderField.CREATED)
        key = job_sort_key(order.field.name, order.direction is OrderDirection.DESC)
        viewer = context.viewer
        return await paged(
            context.db,
            lambda s: JobSearch(s, viewer.tenant, viewer.facilities).page(flt, key, window),
            lambda s: JobSearch(s, viewer.tenant, viewer.facilities).count(flt),
            ServiceJob.from_row,
        )
