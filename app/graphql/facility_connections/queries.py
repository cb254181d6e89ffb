"""Queries of facility connections."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.db import tables
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
from app.repositories.facility_connections import FacilityConnectionRepository
from app.repositories.pagination import Page


def _to_type(row: tables.FacilityCustomServiceConnection) -> FacilityCustomServiceConnection:
    return FacilityCustomServiceConnection.from_row(row)


async def _no_count() -> int:
    return 0


@strawberry.type
class FacilityConnectionQuery:
    @strawberry.field(description="The custom services connected to a facility, oldest first.")
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
            # Out of scope looks exactly like a facility without connections.
            return to_connection(Page([], [], False, page.after is not None), _to_type, _no_count)
        return await paged(
            context.reads,
            lambda s: FacilityConnectionRepository(s, viewer.tenant).list_for_facility(
                facility, page
            ),
            lambda s: FacilityConnectionRepository(s, viewer.tenant).count_for_facility(facility),
            _to_type,
        )
