"""Row reads of custom services for the compiled read path (app/graphql/read_path): a page,
services by id, and the questions and prerequisites of every service of a level, each in one
statement on a read connection (app/db/row_reads.py), as rows whose JSON, timestamps and
booleans are decoded as the ORM decodes them (tree_reads.undecoded_columns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection
from app.repositories.custom_services import CustomServiceFilter
from app.repositories.pagination import Page, PageRequest, count_rows, page_of, page_statement
from app.repositories.tree_reads import (
    LazyRow,
    decoded_rows,
    in_list,
    kept_statement,
    list_parameter,
    rows_by_parent,
    undecoded_columns,
)

CS = tables.CustomService
AI = tables.CustomServiceAdditionalInformation
REQ = tables.CustomServiceRequirement

SERVICE_COLUMNS, SERVICE_DECODERS = undecoded_columns(CS.__table__)  # type: ignore[attr-defined]
QUESTION_COLUMNS, QUESTION_DECODERS = undecoded_columns(AI.__table__)  # type: ignore[attr-defined]

#: A service's columns are all read (the table is narrow, its JSON small), and decoded at once.
_ALL_SERVICE = frozenset(SERVICE_DECODERS)


def _conditions(tenant: str, flt: CustomServiceFilter) -> list[Any]:
    conditions: list[Any] = [col(CS.tenant) == tenant]
    if flt.status is not None:
        conditions.append(col(CS.status) == flt.status)
    if flt.tenant_custom_service_id is not None:
        conditions.append(col(CS.tenant_custom_service_id) == flt.tenant_custom_service_id)
    return conditions


async def service_page(
    reads: ReadConnection, tenant: str, flt: CustomServiceFilter, page: PageRequest
) -> Page[LazyRow]:
    """A page of the tenant's services, oldest first, as CustomServiceRepository.list_page
    reads it (`reads` takes statements that carry their values)."""
    statement = page_statement(
        select(*SERVICE_COLUMNS).where(*_conditions(tenant, flt)),
        col(CS.created),
        col(CS.id),
        page,
    )
    names, records = await reads.rows(statement, {})
    return page_of(decoded_rows(records, names, SERVICE_DECODERS, _ALL_SERVICE), page)


async def service_count(reads: ReadConnection, tenant: str, flt: CustomServiceFilter) -> int:
    """How many of the tenant's services the filter keeps (`reads` takes statements that
    carry their values)."""
    return await count_rows(reads, CS, *_conditions(tenant, flt))


async def services_by_id(
    reads: ReadConnection, tenant: str, ids: Sequence[str]
) -> dict[str, LazyRow]:
    """The tenant's services with these ids (missing ones are absent), in one statement."""
    postgresql = reads.postgresql
    statement = kept_statement(
        ("services by id", postgresql),
        lambda: select(*SERVICE_COLUMNS).where(
            in_list(col(CS.id), "ids", postgresql), col(CS.tenant) == bindparam("tenant")
        ),
    )
    names, records = await reads.rows(
        statement, {"ids": list_parameter(ids, postgresql), "tenant": tenant}
    )
    return {row.id: row for row in decoded_rows(records, names, SERVICE_DECODERS, _ALL_SERVICE)}


def _questions_of_services(postgresql: bool) -> Any:
    return (
        select(*QUESTION_COLUMNS)
        .where(
            in_list(col(AI.custom_service_id), "ids", postgresql),
            col(AI.tenant) == bindparam("tenant"),
        )
        .order_by(col(AI.custom_service_id), col(AI.position), col(AI.id))
    )


async def questions_of_services(
    reads: ReadConnection, tenant: str, service_ids: Sequence[str]
) -> dict[str, list[LazyRow]]:
    """The additional information of these services by service, each in its order."""
    return await rows_by_parent(
        reads,
        tenant,
        service_ids,
        ("questions of services",),
        _questions_of_services,
        QUESTION_DECODERS,
        "custom_service_id",
    )


async def requirements_of_services(
    reads: ReadConnection, tenant: str, service_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The ids of the services each of these services requires, in their order."""
    postgresql = reads.postgresql
    statement = kept_statement(
        ("requirements of services", postgresql),
        lambda: (
            select(col(REQ.custom_service_id), col(REQ.required_custom_service_id))
            .where(
                in_list(col(REQ.custom_service_id), "ids", postgresql),
                col(REQ.tenant) == bindparam("tenant"),
            )
            .order_by(col(REQ.custom_service_id), col(REQ.position))
        ),
    )
    _, records = await reads.rows(
        statement, {"ids": list_parameter(service_ids, postgresql), "tenant": tenant}
    )
    grouped: dict[str, list[str]] = {ident: [] for ident in service_ids}
    for service_id, required_id in records:
        grouped[service_id].append(required_id)
    return grouped
