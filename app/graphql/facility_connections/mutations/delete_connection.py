"""deleteFacilityCustomServiceConnection"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.payloads import answer
from app.graphql.context import Context
from app.graphql.facility_connections.mutations.payload import (
    FacilityCustomServiceConnectionPayload,
)
from app.services import facility_connections


@strawberry.input(description="Remove a connection.")
class DeleteFacilityCustomServiceConnectionInput:
    id: strawberry.ID = strawberry.field(description="The connection.")
    version: int | None = strawberry.field(
        default=None, description="When given, the delete is refused unless it is current."
    )


async def delete_facility_custom_service_connection(
    info: strawberry.Info[Context, None],
    input: Annotated[
        DeleteFacilityCustomServiceConnectionInput,
        strawberry.argument(description="The mutation's input."),
    ],
) -> FacilityCustomServiceConnectionPayload:
    context = info.context
    return await answer(
        FacilityCustomServiceConnectionPayload,
        lambda: facility_connections.delete_connection(
            context.db, context.viewer, str(input.id), input.version
        ),
        FacilityCustomServiceConnectionPayload.done,
    )
