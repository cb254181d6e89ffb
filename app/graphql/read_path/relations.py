"""Batched relations: a field's values for every parent of a level, in one statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from app.db.row_reads import ReadConnection
from app.repositories.tree_reads import line_item_rows

#: Reads, in one statement, what some parents need by their keys: (connection, tenant, keys)
#: -> value by key (a key without one is absent).
ReadByKeys = Callable[[ReadConnection, str, list[str]], Awaitable[Mapping[str, Any]]]


def distinct(keys: Iterable[str]) -> list[str]:
    """The keys once each, in their first order (a statement's list parameter)."""
    return list(dict.fromkeys(keys))


async def attach(
    context: Any,
    parents: Sequence[Any],
    attribute: str,
    key: Callable[[Any], str],
    read: ReadByKeys,
    made: Callable[[Any], Any],
) -> None:
    """Sets `attribute` of every parent that has none yet (None: not read) to `made` of what
    `read` found for its key (None when nothing was), reading every missing key in one
    statement. Parents read before (a tree's jobs, a level met twice) cost nothing."""
    missing = [parent for parent in parents if getattr(parent, attribute) is None]
    if not missing:
        return
    async with context.read_connection() as connection:
        found = await read(connection, context.viewer.tenant, distinct(map(key, missing)))
    for parent in missing:
        setattr(parent, attribute, made(found.get(key(parent))))


async def attach_loaded(
    parents: Sequence[Any],
    attribute: str,
    key: Callable[[Any], str],
    loader: Any,
    made: Callable[[Any], Any],
) -> None:
    """`attach` through a request's DataLoader of rows by key: levels completed side by side
    (trees graphql-core completes one by one) share its batch, one statement, and a key read
    before (the same job met as a page's and as a tree's) costs nothing."""
    missing = [parent for parent in parents if getattr(parent, attribute) is None]
    if not missing:
        return
    keys = distinct(map(key, missing))
    found = dict(zip(keys, await loader.load_many(keys), strict=True))
    for parent in missing:
        if getattr(parent, attribute) is None:  # another completion may have attached it
            setattr(parent, attribute, made(found[key(parent)]))


class LoadedRelation:
    """A list-valued relation read through one of the request's DataLoaders of rows by key
    (`loader`, an attribute of Loaders): `made` of each parent's rows is attached to it as
    `attribute` (attach_loaded: every missing key of a level in one statement, levels
    completed side by side in the same one), and the children are the next level's parents."""

    def __init__(
        self,
        attribute: str,
        key: Callable[[Any], str],
        loader: str,
        made: Callable[[Any], list[Any]],
    ) -> None:
        self.attribute = attribute
        self.key = key
        self.loader = loader
        self.made = made

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        loader = getattr(context.loaders, self.loader)
        await attach_loaded(parents, self.attribute, self.key, loader, self.made)
        attribute = self.attribute
        return [child for parent in parents for child in getattr(parent, attribute)]

    async def of(self, context: Any, parent: Any) -> list[Any]:
        """One parent's value, as its resolver answers: through the same loader, so that
        parents graphql-core resolves side by side still share one statement."""
        await self.fetch(context, [parent])
        value: list[Any] = getattr(parent, self.attribute)
        return value


def _job_id(job: Any) -> str:
    return str(job.id)


class LineItemsOfJobs:
    """`ServiceJob.lineItems`: the line item rows of every job of a level in one statement,
    attached to each job (as a tree read whole attaches them) with the columns the document's
    LineItem fields read. Jobs that have theirs already (a tree's) cost nothing."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        planned = context.tree_columns
        columns = None if planned is None else planned.item_columns

        async def read(reads: ReadConnection, tenant: str, ids: list[str]) -> Mapping[str, Any]:
            return await line_item_rows(reads, tenant, ids, columns)

        await attach(context, parents, "_line_item_rows", _job_id, read, made=listed)
        return [row for job in parents for row in job._line_item_rows]


def listed(values: Any) -> Any:
    """A list found for a key, or an empty one (`made` of a list-valued relation)."""
    return values if values is not None else []


LINE_ITEMS_OF_JOBS = LineItemsOfJobs()
