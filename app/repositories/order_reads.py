"""An order and its jobs read for the API: two statements on a read connection (driver rows,
no transaction), the jobs with only the columns the document reads besides those an order
is made of."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection
from app.repositories.tree_reads import (
    JOB,
    LazyRow,
    decoded_rows,
    job_columns,
    job_rows_of,
    kept_statement,
    undecoded_columns,
)

ORDER = tables.ServiceOrder
ORDER_COLUMNS, ORDER_DECODERS = undecoded_columns(ORDER.__table__)  # type: ignore[attr-defined]
#: Job columns an order is made of whatever the document reads: its status (from its jobs'
#: statuses and when they ended) and its trees.
ORDER_JOB_COLUMNS = frozenset({"status", "ended_at", "linked_service_jobs_id"})


def _order_statement() -> Any:
    return select(*ORDER_COLUMNS).where(
        col(ORDER.tenant) == bindparam("tenant"),
        col(ORDER.tenant_order_id) == bindparam("tenant_order_id"),
    )


def _jobs_statement(
    columns: frozenset[str] | None, items: frozenset[str] | None, postgresql: bool
) -> Any:
    """The jobs carrying an order's id in the order's facility (a job elsewhere with the same
    label is not part of it), oldest first, as ServiceJobRepository.jobs_of_order reads them."""
    return (
        select(*job_columns(columns, ORDER_JOB_COLUMNS, items, postgresql))
        .where(
            col(JOB.tenant) == bindparam("tenant"),
            col(JOB.tenant_order_id) == bindparam("tenant_order_id"),
            col(JOB.facility_ref) == bindparam("facility_ref"),
        )
        .order_by(col(JOB.created), col(JOB.id))
    )


async def order_with_jobs(
    reads: ReadConnection,
    tenant: str,
    tenant_order_id: str,
    visible: Callable[[str], bool],
    columns: frozenset[str] | None,
    items: frozenset[str] | None = None,
) -> tuple[LazyRow, list[LazyRow]] | None:
    """The order by the tenant's id and its jobs (`columns`: the job columns to read besides
    ORDER_JOB_COLUMNS, None for all; `items`: line item columns to fold into their read, see
    job_rows_of); None when there is no such order or `visible` says no to its facility
    (then its jobs are not read)."""
    parameters = {"tenant": tenant, "tenant_order_id": tenant_order_id}
    names, records = await reads.rows(kept_statement(("order",), _order_statement), parameters)
    if not records:
        return None
    order = decoded_rows(records, names, ORDER_DECODERS, names)[0]
    if not visible(order.facility_ref):
        return None
    postgresql = reads.postgresql
    names, records = await reads.rows(
        kept_statement(
            ("jobs of order", columns, items, postgresql),
            lambda: _jobs_statement(columns, items, postgresql),
        ),
        {**parameters, "facility_ref": order.facility_ref},
    )
    return order, job_rows_of(names, records, columns, items, postgresql)
