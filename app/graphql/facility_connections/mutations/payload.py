"""The payload every facility-connection mutation returns."""

from __future__ import annotations

import strawberry

from app.db import tables
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload
from app.graphql.facility_connections.types import FacilityCustomServiceConnection


@strawberry.type(description="Result of a change to a facility connection.")
class FacilityCustomServiceConnectionPayload(MutationPayload):
    facility_custom_service_connection: FacilityCustomServiceConnection | None = strawberry.field(
        description="The connection after the change (as it was, for a delete); null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")

    @classmethod
    def done(
        cls, row: tables.FacilityCustomServiceConnection
    ) -> FacilityCustomServiceConnectionPayload:
        return cls(
            facility_custom_service_connection=FacilityCustomServiceConnection.from_row(row),
            user_errors=[],
        )
