"""Row reads of facility connections for the compiled read path (app/graphql/read_path): a
facility's page of connections in one statement on a read connection (app/db/row_reads.py),
as rows decoded as the ORM decodes them (tree_reads.undecoded_columns)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection
from app.repositories.pagination import Page, PageRequest, page_of, page_statement
from app.repositories.tree_reads import LazyRow, decoded_rows, undecoded_columns

FC = tables.FacilityCustomServiceConnection

CONNECTION_COLUMNS, CONNECTION_DECODERS = undecoded_columns(FC.__table__)  # type: ignore[attr-defined]
#: A connection's columns are all read (the table is narrow) and decoded at once.
_ALL_CONNECTION = frozenset(CONNECTION_DECODERS)


async def connection_page(
    reads: ReadConnection, tenant: str, facility_ref: str, page: PageRequest
) -> Page[LazyRow]:
    """A page of the facility's connections, oldest first, as
    FacilityConnectionRepository.list_for_facility reads it (`reads` takes statements that
    carry their values)."""
    statement = page_statement(
        select(*CONNECTION_COLUMNS).where(
            col(FC.tenant) == tenant, col(FC.facility_ref) == facility_ref
        ),
        col(FC.created),
        col(FC.id),
        page,
    )
    names, records = await reads.rows(statement, {})
    return page_of(decoded_rows(records, names, CONNECTION_DECODERS, _ALL_CONNECTION), page)
