"""`searchLinkedServiceJobs`: trees found by an and/or search, paged like every list."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry

from app.domain.job_search import (
    MAX_CONDITION_DEPTH,
    MAX_CONDITIONS,
    TreeCondition,
    check_nesting,
    check_search_term,
    check_values,
)
from app.domain.job_status import JobStatus
from app.graphql.common.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_window,
    to_connection,
)
from app.graphql.context import Context
from app.graphql.read_path.sources import RootCall, reads
from app.graphql.service_jobs.enums import ServiceJobStatus
from app.graphql.service_jobs.filters import TEXT_MATCH, OrderDirection
from app.graphql.service_jobs.types import LinkedServiceJobs, view_of_snapshot
from app.repositories.job_search import TreeSearch, tree_sort_key
from app.repositories.pagination import Page


@strawberry.enum(description="What a list of trees is ordered by.")
class LinkedServiceJobsOrderField(enum.Enum):
    TARGET_TIME = strawberry.enum_value("TARGET_TIME", description="The tree's target time.")
    LAST_MODIFIED = strawberry.enum_value(
        "LAST_MODIFIED",
        description="When anything in the tree last changed (a tree changed while paging moves "
        "in the list).",
    )


@strawberry.input(description="The order of a list of trees (default: TARGET_TIME, ASC).")
class LinkedServiceJobsOrderInput:
    field: LinkedServiceJobsOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way (default ASC)."
    )


@strawberry.input(
    description="A search of trees: every condition given here applies, and so do all of "
    f"`and` and at least one of `or`; nested at most {MAX_CONDITION_DEPTH} levels deep and "
    f"{MAX_CONDITIONS} objects in all (else BAD_REQUEST)."
)
class LinkedServiceJobsSearchInput:
    status: ServiceJobStatus | None = strawberry.field(
        default=None,
        description="The tree's derived status (see LinkedServiceJobs.status; never "
        "WAITING_FOR_INPUT).",
    )
    statuses: list[ServiceJobStatus] | None = strawberry.field(
        default=None, description="One of these derived statuses (≤ 20 values)."
    )
    facility_ref: str | None = strawberry.field(default=None, description="This facility.")
    tenant_order_id: str | None = strawberry.field(default=None, description="Made for this order.")
    service_name: str | None = strawberry.field(
        default=None, description=f"A job's name (any locale) contains this: {TEXT_MATCH}."
    )
    article_title: str | None = strawberry.field(
        default=None, description=f"An item's article title contains this: {TEXT_MATCH}."
    )
    search_term: str | None = strawberry.field(
        default=None,
        description="Found in the tree's tenantOrderId or in a job's tenantOrderId, shortId, "
        f"name or items (as `serviceJobs`' searchTerm): {TEXT_MATCH}.",
    )
    target_time_from: datetime | None = strawberry.field(
        default=None, description="The tree's target time at or after this."
    )
    target_time_to: datetime | None = strawberry.field(
        default=None, description="The tree's target time at or before this."
    )
    last_modified_from: datetime | None = strawberry.field(
        default=None, description="Last changed at or after this."
    )
    last_modified_to: datetime | None = strawberry.field(
        default=None, description="Last changed at or before this."
    )
    and_: list[LinkedServiceJobsSearchInput] | None = strawberry.field(
        default=None, name="and", description="Searches that must all match."
    )
    or_: list[LinkedServiceJobsSearchInput] | None = strawberry.field(
        default=None, name="or", description="Searches of which at least one must match."
    )

    def to_condition(self) -> TreeCondition:
        check_values(self.statuses, "statuses")
        check_search_term(self.search_term, "searchTerm")
        check_search_term(self.service_name, "serviceName")
        check_search_term(self.article_title, "articleTitle")
        # `status` and `statuses` both given: both apply.
        wanted: set[JobStatus] | None = None
        if self.statuses is not None:
            wanted = {JobStatus(s.name) for s in self.statuses}
        if self.status is not None:
            wanted = {JobStatus(self.status.name)} & (
                wanted if wanted is not None else set(JobStatus)
            )
        return TreeCondition(
            statuses=tuple(sorted(wanted, key=lambda s: s.value)) if wanted is not None else None,
            facility_ref=self.facility_ref,
            tenant_order_id=self.tenant_order_id,
            service_name=self.service_name,
            article_title=self.article_title,
            search_term=self.search_term,
            target_time_from=self.target_time_from,
            target_time_to=self.target_time_to,
            last_modified_from=self.last_modified_from,
            last_modified_to=self.last_modified_to,
            all_of=tuple(child.to_condition() for child in self.and_ or ()),
            any_of=tuple(child.to_condition() for child in self.or_ or ()),
        )


def _bounded(search: LinkedServiceJobsSearchInput) -> TreeCondition:
    """The search as a condition, once its nesting is known to be within the bounds
    (converting it is recursive)."""
    check_nesting(search, lambda s: [*(s.and_ or ()), *(s.or_ or ())])
    return search.to_condition()


async def search_page(
    context: Context,
    filter: LinkedServiceJobsSearchInput | None = None,
    order_by: LinkedServiceJobsOrderInput | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[LinkedServiceJobs]:
    """A page of the trees the search finds (the resolver's and the read path's)."""
    window = page_window(context.settings, first, after, last, before)
    condition = _bounded(filter or LinkedServiceJobsSearchInput())
    order = order_by or LinkedServiceJobsOrderInput(field=LinkedServiceJobsOrderField.TARGET_TIME)
    key = tree_sort_key(order.field.name, order.direction is OrderDirection.DESC)
    viewer = context.viewer
    async with context.read_connection(any_statement=True) as connection:
        page = await TreeSearch(connection, viewer.tenant, viewer.facilities).page(
            condition, key, window
        )
    snapshots = await context.loaders.tree_by_id.load_many([row.id for row in page.rows])
    # A tree merged into another between the two reads is left out of the page.
    found = [
        (row, cursor, view_of_snapshot(snapshot, context.loaders.tree_views).tree)
        for row, cursor, snapshot in zip(page.rows, page.cursors, snapshots, strict=True)
        if snapshot is not None
    ]
    views = {row.id: view for row, _, view in found}
    shown = Page(
        rows=[row for row, _, _ in found],
        cursors=[cursor for _, cursor, _ in found],
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
    )

    async def total() -> int:
        async with context.read_connection(any_statement=True) as connection:
            return await TreeSearch(connection, viewer.tenant, viewer.facilities).count(condition)

    return to_connection(shown, lambda row: views[row.id], total)


@strawberry.type
class TreeSearchQuery:
    @strawberry.field(
        description="Trees of your tenant (and your facilities) found by an and/or search, "
        "ordered (default: soonest target time first) and paged forwards or backwards like "
        "`serviceJobs`. The page's trees are read at once: three SQL statements however "
        "many.",
        metadata=reads(root=RootCall(search_page)),
    )
    async def search_linked_service_jobs(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[
            LinkedServiceJobsSearchInput | None,
            strawberry.argument(description="The search (default: every tree)."),
        ] = None,
        order_by: Annotated[
            LinkedServiceJobsOrderInput | None,
            strawberry.argument(description="The order (default: TARGET_TIME, ASC)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LinkedServiceJobs]:
        return await search_page(info.context, filter, order_by, first, after, last, before)
