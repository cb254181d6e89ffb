"""Output types of service data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import strawberry

from app.domain.service_data import available_by_record
from app.domain.trees import MAX_DEPTH
from app.graphql.common.articles import Article
from app.graphql.context import Context
from app.graphql.cost import bounded
from app.graphql.read_path.relations import LoadedRelation, distinct
from app.graphql.read_path.sources import StepAside, attached, reads
from app.repositories.service_data import ServiceDataState
from app.repositories.tree_reads import job_ids_of_trees


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


def _usages_made(rows: list[Any] | None) -> list[ExecutedServiceJobData]:
    return [
        ExecutedServiceJobData(
            service_job_ref=strawberry.ID(row.service_job_id),
            sequence=row.sequence,
            applied_quantity=row.applied_quantity,
            items_returnable=row.items_returnable,
        )
        for row in rows or ()
    ]


def _item_id(item: Any) -> str:
    return str(item.id)


#: `AvailableLineItem.executedServiceJobData`: the usages of every item of a level in one
#: statement (the request's loader: items completed side by side share it), within the
#: request's allowance of service data rows.
USAGES_OF_ITEMS = LoadedRelation("_usages", _item_id, "usages_by_item_id", _usages_made)


@strawberry.type(description="An item of the tree that its jobs may use.")
class AvailableLineItem:
    id: strawberry.ID = strawberry.field(description="Id of the item: the serviceItemRef.")
    article: Article = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many units there are.")
    available_quantity: int = strawberry.field(
        description="Units no job holds yet, 0 to quantity: units a job holds pass on to the "
        "jobs above it, so they are counted once."
    )

    #: Its usages when a level's read attached them (USAGES_OF_ITEMS).
    _usages: strawberry.Private[list[ExecutedServiceJobData] | None] = None

    @strawberry.field(
        description="The jobs applying the item, in sequence order: from the lowest job holding "
        "it up to the root.",
        # One job per level at most, from the lowest job holding the item up to the root.
        metadata=reads(getter=attached("_usages"), relation=USAGES_OF_ITEMS) | bounded(MAX_DEPTH),
    )
    async def executed_service_job_data(
        self, info: strawberry.Info[Context, None]
    ) -> list[ExecutedServiceJobData]:
        return await USAGES_OF_ITEMS.of(info.context, self)


def _items_made(rows: list[Any] | None) -> list[AvailableLineItem]:
    return [
        AvailableLineItem(
            id=strawberry.ID(row.id),
            article=Article.from_json(row.article),
            quantity=row.quantity,
            available_quantity=available_by_record(row.quantity, row.most_applied),
        )
        for row in rows or ()
    ]


def _data_id(data: Any) -> str:
    return str(data.id)


#: `ServiceData.availableLineItems`: the items of every service data of a level in one
#: statement, with what each has left (the request's loader, within its allowance of service
#: data rows); their usages are the next level's, read only when asked for.
ITEMS_OF_SERVICE_DATA = LoadedRelation("_items", _data_id, "service_data_items_by_id", _items_made)


class JobsOfServiceData:
    """`ServiceData.serviceJobRefs`: the job ids of every service data's tree of a level: of
    the trees the request read already, from their snapshots (as the resolver answers);
    of the others, in one statement (none for a tree the caller may not see, as its tree
    read would give)."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        missing = [data for data in parents if data._job_refs is None]
        if not missing:
            return ()
        refs: dict[str, list[strawberry.ID]] = {}
        unread: list[str] = []
        for tree in distinct(str(data.linked_service_jobs_ref) for data in missing):
            read, snapshot = context.loaders.tree_read(tree)
            if not read:
                unread.append(tree)
            else:  # as the resolver answers: the jobs of the tree the request read
                refs[tree] = [strawberry.ID(i) for i in snapshot.jobs] if snapshot else []
        if unread:
            async with context.read_connection() as connection:
                found = await job_ids_of_trees(connection, context.viewer.tenant, unread)
            sees = context.viewer.sees_facility
            for tree in unread:
                facility, jobs = found.get(tree, ("", []))
                refs[tree] = [strawberry.ID(i) for i in jobs] if jobs and sees(facility) else []
        for data in missing:
            data._job_refs = refs[str(data.linked_service_jobs_ref)]
        return ()


JOBS_OF_SERVICE_DATA = JobsOfServiceData()


@strawberry.type(description="The items of one tree and which of its jobs use them.")
class ServiceData:
    id: strawberry.ID = strawberry.field(description="Id of the service data.")
    version: int = strawberry.field(
        description="Bumps on every select, unselect and correction of its items."
    )
    linked_service_jobs_ref: strawberry.ID = strawberry.field(description="Its tree.")
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")

    #: Its tree's job ids when a level's read attached them (JOBS_OF_SERVICE_DATA).
    _job_refs: strawberry.Private[list[strawberry.ID] | None] = None
    #: Its items when a level's read attached them (ITEMS_OF_SERVICE_DATA).
    _items: strawberry.Private[list[AvailableLineItem] | None] = None

    @strawberry.field(
        description="Every item of the tree, in the order they were added. A tree's items "
        "and their usages grow with the tree: a request reads at most MAX_SERVICE_DATA_ROWS "
        "of them (200,000 by default), past which it fails with RESPONSE_TOO_LARGE.",
        metadata=reads(getter=attached("_items"), relation=ITEMS_OF_SERVICE_DATA),
    )
    async def available_line_items(
        self, info: strawberry.Info[Context, None]
    ) -> list[AvailableLineItem]:
        return await ITEMS_OF_SERVICE_DATA.of(info.context, self)

    @strawberry.field(
        description="Every job of the tree; they share this service data.",
        metadata=reads(getter=attached("_job_refs"), relation=JOBS_OF_SERVICE_DATA),
    )
    async def service_job_refs(self, info: strawberry.Info[Context, None]) -> list[strawberry.ID]:
        if self._job_refs is not None:
            return self._job_refs
        snapshot = await info.context.loaders.tree_by_id.load(str(self.linked_service_jobs_ref))
        return [strawberry.ID(i) for i in snapshot.jobs] if snapshot else []

    @classmethod
    def from_row(cls, row: Any) -> ServiceData:
        """A tree's service data by its own row: its items are read when asked for."""
        return cls(
            id=strawberry.ID(row.id),
            version=row.version,
            linked_service_jobs_ref=strawberry.ID(row.linked_service_jobs_id),
            created=row.created,
            last_modified=row.last_modified,
        )

    @classmethod
    def from_state(cls, state: ServiceDataState) -> ServiceData:
        """A service data as a change left it, whole (a mutation's payload)."""
        data = cls(
            id=strawberry.ID(state.id),
            version=state.version,
            linked_service_jobs_ref=strawberry.ID(state.linked_service_jobs_id),
            created=state.created,
            last_modified=state.last_modified,
        )
        data._items = []
        for item in state.items.values():
            available = AvailableLineItem(
                id=strawberry.ID(item.id),
                article=Article.from_json(state.articles[item.id]),
                quantity=item.quantity,
                available_quantity=item.available_as_recorded,
            )
            available._usages = [
                ExecutedServiceJobData(
                    service_job_ref=strawberry.ID(u.job_id),
                    sequence=u.sequence,
                    applied_quantity=u.applied_quantity,
                    items_returnable=u.items_returnable,
                )
                for u in sorted(item.usages, key=lambda u: u.sequence)
            ]
            data._items.append(available)
        return data


async def service_data_of_tree(context: Context, tree_id: str) -> ServiceData | None:
    row = await context.loaders.service_data_by_tree_id.load(tree_id)
    return ServiceData.from_row(row) if row else None


def service_data_held(holder: Any) -> ServiceData | None:
    """The service data a level's read attached to a job or a tree (SERVICE_DATA_OF_JOBS,
    SERVICE_DATA_OF_TREES): a 1-tuple, since None is a value (a tree without any)."""
    held = holder._service_data
    if held is None:
        raise StepAside
    return held[0]  # type: ignore[no-any-return]


class ServiceDataOf:
    """The service data of the trees of every parent of a level (jobs or trees), read in
    one statement, one object per tree."""

    def __init__(self, tree_of: Callable[[Any], str]) -> None:
        self.tree_of = tree_of

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        missing = [parent for parent in parents if parent._service_data is None]
        if missing:
            # Each tree's read once per request (the loader's cache) and its object built
            # once, whatever the number of levels asking for it.
            made = context.loaders.service_data_objects
            unbuilt = distinct(tree for tree in map(self.tree_of, missing) if tree not in made)
            rows = await context.loaders.service_data_by_tree_id.load_many(unbuilt)
            for tree, row in zip(unbuilt, rows, strict=True):
                made[tree] = None if row is None else ServiceData.from_row(row)
            for parent in missing:
                parent._service_data = (made[self.tree_of(parent)],)
        children = {id(held[0]): held[0] for p in parents if (held := p._service_data)[0]}
        return list(children.values())


SERVICE_DATA_OF_JOBS = ServiceDataOf(lambda job: str(job.linked_service_jobs_ref))
SERVICE_DATA_OF_TREES = ServiceDataOf(lambda tree: str(tree.id))
