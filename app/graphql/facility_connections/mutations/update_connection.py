"""updateFacilityCustomServiceConnection"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.custom_services import CustomServiceStatus
from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.graphql.facility_connections.mutations.payload import (
    FacilityCustomServiceConnectionPayload,
)
from app.graphql.facility_connections.types import FacilityConnectionStatus
from app.services import facility_connections
from app.services.facility_connections import ConnectionChanges


@strawberry.input(description="Changes to a connection; fields left out stay as they are.")
class UpdateFacilityCustomServiceConnectionInput:
    id: strawberry.ID = strawberry.field(description="The connection.")
    version: int = strawberry.field(description="The version last seen by the client.")
    status: strawberry.Maybe[FacilityConnectionStatus] = strawberry.field(
        default=None, description="New status."
    )
    execution_time_in_min: strawberry.Maybe[int | None] = strawberry.field(
        default=None, description="New duration in minutes; null falls back to the service's."
    )

    def changes(self) -> ConnectionChanges:
        minutes = self.execution_time_in_min
        return ConnectionChanges(
            status=CustomServiceStatus[self.status.value.name] if self.status else None,
            execution_time_in_min=minutes.value if minutes is not None else None,
            clear_execution_time=minutes is not None and minutes.value is None,
        )


async def update_facility_custom_service_connection(
    info: strawberry.Info[Context, None],
    input: Annotated[
        UpdateFacilityCustomServiceConnectionInput,
        strawberry.argument(description="The mutation's input."),
    ],
) -> FacilityCustomServiceConnectionPayload:
    context = info.context
    return await answer(
        FacilityCustomServiceConnectionPayload,
        lambda: facility_connections.update_connection(
            context.db, context.viewer, str(input.id), input.version, input.changes()
        ),
        FacilityCustomServiceConnectionPayload.done,
    )
