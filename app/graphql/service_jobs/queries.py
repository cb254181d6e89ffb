"""Queries of service jobs, with the reads the compiled path makes for them (app.graphql.
read_path): rows with only the columns the document reads, in one statement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import strawberry

from app.graphql.common.build import build
from app.graphql.common.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_window,
    paged,
    to_connection,
)
from app.graphql.context import Context
from app.graphql.read_path.sources import reads
from app.graphql.service_jobs.filters import (
    OrderDirection,
    ServiceJobFilterInput,
    ServiceJobOrderField,
    ServiceJobOrderInput,
)
from app.graphql.service_jobs.types import ServiceJob, TreeServiceJob
from app.repositories.job_search import JobSearch, ServiceJobFilter, job_sort_key
from app.repositories.keyset import SortKey, Window
from app.repositories.tree_reads import FOLDED_ITEMS, job_by_id


def job_columns_read(context: Context) -> frozenset[str] | None:
    """The job columns the operation's fields read (None: all), see trees.columns."""
    planned = context.tree_columns
    return None if planned is None else planned.job_columns


def items_to_fold(context: Context) -> frozenset[str] | None:
    """The line item columns to fold into a read of jobs (tree_reads.folded_items): those
    the operation reads when it reads the jobs' own line items; None: no items are read."""
    planned = context.tree_columns
    if planned is None or not planned.items_of_jobs:
        return None
    return planned.item_columns


def row_job(row: Any) -> ServiceJob:
    """A job over a row of pruned columns, read through (like a tree's jobs), with the line
    items folded into its read when they were (None: the lineItems relation reads them)."""
    items = row.__dict__.get(FOLDED_ITEMS)
    # The relations' private fields keep their class defaults (None), as in ServiceJob.in_tree.
    return build(TreeServiceJob, _row=row, _line_item_rows=items, _snapshot=None)


class ServiceJobById:
    """`serviceJob(id)`: one statement; another tenant's or facility's job is null."""

    async def read(self, context: Context, arguments: Mapping[str, Any]) -> ServiceJob | None:
        viewer = context.viewer
        async with context.read_connection() as reads:
            items = items_to_fold(context)
            row = await job_by_id(
                reads, viewer.tenant, str(arguments["id"]), job_columns_read(context), items
            )
        if row is None or not viewer.sees_facility(row.facility_ref):
            return None
        return row_job(row)


def _page_of(
    context: Context,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    filter: ServiceJobFilterInput | None,
    order_by: ServiceJobOrderInput | None,
) -> tuple[ServiceJobFilter, SortKey, Window]:
    window = page_window(context.settings, first, after, last, before)
    flt = (filter or ServiceJobFilterInput()).to_filter()
    order = order_by or ServiceJobOrderInput(field=ServiceJobOrderField.CREATED)
    key = job_sort_key(order.field.name, order.direction is OrderDirection.DESC)
    return flt, key, window


#: serviceJobs' arguments by their Python names, in _page_of's order (absent ones are None).
PAGE_ARGUMENTS = ("first", "after", "last", "before", "filter", "order_by")


class ServiceJobPage:
    """`serviceJobs`: the page in one statement with the document's job columns; its
    `totalCount` in another, only when asked for."""

    async def read(self, context: Context, arguments: Mapping[str, Any]) -> Connection[ServiceJob]:
        flt, key, window = _page_of(context, *(arguments.get(name) for name in PAGE_ARGUMENTS))
        viewer = context.viewer
        items = items_to_fold(context)
        async with context.read_connection() as reads:
            page = await JobSearch(None, viewer.tenant, viewer.facilities).page_rows(
                reads, flt, key, window, job_columns_read(context), items
            )

        async def total() -> int:
            async with context.read_connection(any_statement=True) as reads:
                return await JobSearch(None, viewer.tenant, viewer.facilities).count_rows(
                    reads, flt
                )

        return to_connection(page, row_job, total)


@strawberry.type
class ServiceJobQuery:
    @strawberry.field(
        description="A service job by id; null when there is none (or not yours).",
        metadata=reads(root=ServiceJobById()),
    )
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
        "(`last`/`before`) by cursors that hold the order's key and the job's id.",
        metadata=reads(root=ServiceJobPage()),
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
        flt, key, window = _page_of(context, first, after, last, before, filter, order_by)
        viewer = context.viewer
        return await paged(
            context.reads,
            lambda s: JobSearch(s, viewer.tenant, viewer.facilities).page(flt, key, window),
            lambda s: JobSearch(s, viewer.tenant, viewer.facilities).count(flt),
            ServiceJob.from_row,
        )
