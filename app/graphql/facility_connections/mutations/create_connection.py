"""createFacilityCustomServiceConnection"""

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


@strawberry.input(description="Connect a custom service to a facility.")
class CreateFacilityCustomServiceConnectionInput:
    facility_id: strawberry.ID = strawberry.field(description="The facility.")
    custom_service_id: strawberry.ID = strawberry.field(description="The custom service.")
    status: FacilityConnectionStatus = strawberry.field(
        default=FacilityConnectionStatus.ACTIVE, description="ACTIVE (default) or INACTIVE."
    )
    execution_time_in_min: int | None = strawberry.field(
        default=None, description="Duration in this facility, in minutes (≥ 0)."
    )


async def create_facility_custom_service_connection(
    info: strawberry.Info[Context, None],
    input: Annotated[
        CreateFacilityCustomServiceConnectionInput,
        strawberry.argument(description="The mutation's input."),
    ],
) -> FacilityCustomServiceConnectionPayload:
    context = info.context
    return await answer(
        FacilityCustomServiceConnectionPayload,
        lambda: facility_connections.create_connection(
            context.db,
            context.viewer,
            facility_ref=str(input.facility_id),
            custom_service_id=str(input.custom_service_id),
            status=CustomServiceStatus[input.status.name],
            execution_time_in_min=input.execution_time_in_min,
        ),
        FacilityCustomServiceConnectionPayload.done,
    )
