"""Service data read for the API, a level at a time: the service data of some trees, the
items of some service data, the usages of some items. Each is one statement for any number of
parents (their ids are one list parameter), driver rows on a read connection, no transaction.

Read apart, each row is what it is: a usage row carries four cells, not its item's article
again, and a query that asks for a service data's `id` reads one row per tree, not every
usage of every item (~48,000 rows for the benchmark's 1,000-job tree). Items and usages grow
with the tree, which no estimate before execution bounds: they are read within the request's
RowAllowance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection, RowAllowance
from app.repositories.tree_reads import LazyRow, decoding, in_list, rows_by_parent

SD = tables.ServiceData
ITEM = tables.ServiceDataItem
USE = tables.ServiceDataUsage

_DATA_COLUMNS, DATA_DECODERS = decoding(
    [
        col(SD.linked_service_jobs_id),
        col(SD.id),
        col(SD.version),
        col(SD.created),
        col(SD.last_modified),
    ]
)

#: The most units any job of an item's chain applies: the last job applies every unit held
#: (app/domain/service_data.py, available_as_recorded).
_MOST_APPLIED = (
    select(func.max(col(USE.applied_quantity)))
    .where(col(USE.service_data_item_id) == col(ITEM.id))
    .scalar_subquery()
    .label("most_applied")
)
_ITEM_COLUMNS, ITEM_DECODERS = decoding(
    [col(ITEM.service_data_id), col(ITEM.id), col(ITEM.article), col(ITEM.quantity)]
)
_USAGE_COLUMNS, USAGE_DECODERS = decoding(
    [
        col(USE.service_data_item_id),
        col(USE.service_job_id),
        col(USE.sequence),
        col(USE.applied_quantity),
        col(USE.items_returnable),
    ]
)


def _data_of_trees(postgresql: bool) -> Any:
    return select(*_DATA_COLUMNS).where(
        in_list(col(SD.linked_service_jobs_id), "ids", postgresql),
        col(SD.tenant) == bindparam("tenant"),
    )


def _items_of_data(postgresql: bool) -> Any:
    return (
        select(*_ITEM_COLUMNS, _MOST_APPLIED)
        .where(
            in_list(col(ITEM.service_data_id), "ids", postgresql),
            col(ITEM.tenant) == bindparam("tenant"),
        )
        .order_by(col(ITEM.service_data_id), col(ITEM.position))
        .limit(bindparam("limit"))
    )


def _usages_of_items(postgresql: bool) -> Any:
    return (
        select(*_USAGE_COLUMNS)
        .where(
            in_list(col(USE.service_data_item_id), "ids", postgresql),
            col(USE.tenant) == bindparam("tenant"),
        )
        .order_by(col(USE.service_data_item_id), col(USE.sequence))
        .limit(bindparam("limit"))
    )


async def service_data_rows(
    reads: ReadConnection, tenant: str, tree_ids: Sequence[str]
) -> dict[str, LazyRow]:
    """The service data row of each of these trees (one each at most), by tree id; a tree
    without one is absent."""
    grouped = await rows_by_parent(
        reads,
        tenant,
        tree_ids,
        ("service data of trees",),
        _data_of_trees,
        DATA_DECODERS,
        "linked_service_jobs_id",
    )
    return {tree: rows[0] for tree, rows in grouped.items() if rows}


async def item_rows(
    reads: ReadConnection, tenant: str, data_ids: Sequence[str], allowance: RowAllowance
) -> dict[str, list[LazyRow]]:
    """The items of these service data, by service data id, each's in position order, with
    the most units one of their jobs applies (`most_applied`, None for an unused item)."""
    return await rows_by_parent(
        reads,
        tenant,
        data_ids,
        ("items of service data",),
        _items_of_data,
        ITEM_DECODERS,
        "service_data_id",
        allowance,
    )


async def usage_rows(
    reads: ReadConnection, tenant: str, item_ids: Sequence[str], allowance: RowAllowance
) -> dict[str, list[LazyRow]]:
    """The usages of these items (their executedServiceJobData), by item id, each's in
    sequence order."""
    return await rows_by_parent(
        reads,
        tenant,
        item_ids,
        ("usages of items",),
        _usages_of_items,
        USAGE_DECODERS,
        "service_data_item_id",
        allowance,
    )
