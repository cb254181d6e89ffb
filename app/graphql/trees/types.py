"""Linked service jobs and their links, built once per request from one tree snapshot so that
every nested field resolves from memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import strawberry

from app.domain.job_status import JobStatus, derive_tree_status
from app.graphql.common.build import build
from app.graphql.context import Context
from app.graphql.service_data.types import ServiceData, service_data_of_tree
from app.graphql.service_jobs.enums import ServiceJobStatus
from app.graphql.service_jobs.types import ServiceJob
from app.repositories.tree_reads import TreeSnapshot


@strawberry.type(description="A job's place in its tree. Links beneath it are its prerequisites.")
class ServiceJobLink:
    id: strawberry.ID = strawberry.field(description="Id of the link.")
    service_job_ref: strawberry.ID = strawberry.field(description="The job of this link.")
    service_job: ServiceJob = strawberry.field(description="The job of this link.")
    previous_service_job_link_ref: strawberry.ID | None = strawberry.field(
        description="The link this one sits beneath (whose job runs after this one); null at "
        "the root level."
    )
    depth: int = strawberry.field(description="1 at the root level, at most 25.")
    next_service_job_links: list[ServiceJobLink] = strawberry.field(
        description="Links beneath this one: their jobs run first."
    )


@strawberry.type(description="A tree of service jobs linked by their dependencies.")
class LinkedServiceJobs:
    id: strawberry.ID = strawberry.field(description="Id of the tree.")
    process_ref: str = strawberry.field(description="The process of the tree.")
    facility_ref: str = strawberry.field(description="The facility of every job in the tree.")
    target_time: datetime = strawberry.field(description="Target time of the tree (UTC).")
    tenant_order_id: str | None = strawberry.field(description="The order it came from.")
    status: ServiceJobStatus = strawberry.field(
        description="Derived from the jobs: any IN_PROGRESS or WAITING_FOR_INPUT → IN_PROGRESS; "
        "else any OPEN → OPEN; else any NOT_READY → NOT_READY; else FINISHED if any, else "
        "CANCELLED if any, else OBSOLETE."
    )
    service_job_links: list[ServiceJobLink] = strawberry.field(
        description="Root-level links (their jobs run last), each with the links beneath."
    )
    all_service_job_links: list[ServiceJobLink] = strawberry.field(
        description="Every link once, parents before children, with its parent and depth."
    )
    included_service_job_refs: list[strawberry.ID] = strawberry.field(
        description="Every job of the tree."
    )
    included_service_job_link_ids: list[strawberry.ID] = strawberry.field(
        description="Every link of the tree."
    )
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")
    version: int = strawberry.field(description="Bumps on every change inside the tree.")

    @strawberry.field(description="The items of the tree and which jobs use them.")
    async def service_data(self, info: strawberry.Info[Context, None]) -> ServiceData | None:
        return await service_data_of_tree(info, str(self.id))


@dataclass(slots=True)
class TreeView:
    snapshot: TreeSnapshot
    tree: LinkedServiceJobs
    links: dict[str, ServiceJobLink]
    jobs: dict[str, ServiceJob]


def tree_view(snapshot: TreeSnapshot, cache: dict[int, Any]) -> TreeView:
    """The GraphQL objects of a snapshot, built once per request (`cache` is the request's).
    The cache lives outside the snapshot so that no reference cycle keeps a tree alive: a
    request's objects are freed by reference counting as soon as it is answered."""
    cached = cache.get(id(snapshot))
    if cached is not None:
        assert isinstance(cached, TreeView)
        return cached
    shape = snapshot.shape
    items = snapshot.items_by_job
    jobs = {
        job_id: ServiceJob.in_tree(row, None if items is None else items.get(job_id, []), snapshot)
        for job_id, row in snapshot.jobs.items()
    }
    links: dict[str, ServiceJobLink] = {}
    order: list[str] = []  # parents before children, siblings in order
    shape_links, children = shape.links, shape.children
    # Depth first from the root level; a link's parent is built before it.
    stack: list[tuple[str, int]] = [(root, 1) for root in reversed(children.get(None, ()))]
    while stack:
        link_id, depth = stack.pop()
        link = shape_links[link_id]
        links[link_id] = built = build(
            ServiceJobLink,
            id=link_id,
            service_job_ref=link.job_id,
            service_job=jobs[link.job_id],
            previous_service_job_link_ref=link.parent_id,
            depth=depth,
            next_service_job_links=[],
        )
        order.append(link_id)
        if link.parent_id is not None:
            links[link.parent_id].next_service_job_links.append(built)
        below = children.get(link_id)
        if below:
            stack.extend((child, depth + 1) for child in reversed(below))
    row = snapshot.tree
    tree = LinkedServiceJobs(
        id=strawberry.ID(row.id),
        process_ref=row.process_ref,
        facility_ref=row.facility_ref,
        target_time=row.target_time,
        tenant_order_id=row.tenant_order_id,
        status=ServiceJobStatus[
            # the few distinct statuses, not one enum lookup per job
            derive_tree_status(map(JobStatus, {j.status for j in snapshot.jobs.values()})).value
        ],
        service_job_links=[links[i] for i in shape.children.get(None, [])],
        all_service_job_links=list(links.values()),  # built in that order
        # strawberry.ID is a NewType of str: the ids as they are.
        included_service_job_refs=cast(list[strawberry.ID], list(snapshot.jobs)),
        included_service_job_link_ids=cast(list[strawberry.ID], order),
        created=row.created,
        last_modified=row.last_modified,
        version=row.version,
    )
    view = TreeView(snapshot=snapshot, tree=tree, links=links, jobs=jobs)
    cache[id(snapshot)] = view
    return view
