"""Queries of facility connections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import strawberry

from app.graphql.common.pagination import (
    After,
    Connection,
    First,
    page_request,
    paged,
    to_connection,
)
from app.graphql.context import Context
from app.graphql.facility_connections.types import FacilityCustomServiceConnection
from app.graphql.read_path.sources import reads
from app.repositories.facility_connection_reads import connection_page
from app.repositories.facility_connections import FacilityConnectionRepository
from app.repositories.pagination import Page

_to_type = FacilityCustomServiceConnection.from_row


async def _no_count() -> int:
    return 0


def _out_of_scope(after: str | None) -> Connection[FacilityCustomServiceConnection]:
    """What a facility the caller does not see answers: exactly a facility without
    connections."""
    return to_connection(Page([], [], False, after is not None), _to_type, _no_count)


class FacilityConnectionPage:
    """`facilityCustomServiceConnections`: the page in one statement; its `totalCount` in
    another, only when asked for."""

    async def read(
        self, context: Context, arguments: Mapping[str, Any]
    ) -> Connection[FacilityCustomServiceConnection]:
        page = page_request(context.settings, arguments.get("first"), arguments.get("after"))
        viewer = context.viewer
        facility = str(arguments["facility_id"])
        if not viewer.sees_facility(facility):
            return _out_of_scope(page.after)
        async with context.read_connection(any_statement=True) as connection:
            rows = await connection_page(connection, viewer.tenant, facility, page)

        async def total() -> int:
            async with context.reads() as session:
                return await FacilityConnectionRepository(
                    session, viewer.tenant
                ).count_for_facility(facility)

        return to_connection(rows, _to_type, total)


@strawberry.type
class FacilityConnectionQuery:
    @strawberry.field(
        description="The custom services connected to a facility, oldest first.",
        metadata=reads(root=FacilityConnectionPage()),
    )
    async def facility_custom_service_connections(
        self,
        info: strawberry.Info[Context, None],
        facility_id: Annotated[strawberry.ID, strawberry.argument(description="The facility.")],
        first: First = None,
        after: After = None,
    ) -> Connection[FacilityCustomServiceConnection]:
        context = info.context
        page = page_request(context.settings, first, after)
        viewer = context.viewer
        facility = str(facility_id)
        if not viewer.sees_facility(facility):
            return _out_of_scope(page.after)
        return await paged(
            context.reads,
            lambda s: FacilityConnectionRepository(s, viewer.tenant).list_for_facility(
                facility, page
            ),
            lambda s: FacilityConnectionRepository(s, viewer.tenant).count_for_facility(facility),
            _to_type,
        )
