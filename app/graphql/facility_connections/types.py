"""Output types of facility connections."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.db import tables
from app.graphql.context import Context
from app.graphql.custom_services.types import CustomService


@strawberry.enum(description="Whether a facility offers the connected service.")
class FacilityConnectionStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Jobs of the service can be created.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="No new jobs of the service.")


@strawberry.type(description="A custom service made available in one facility.")
class FacilityCustomServiceConnection:
    id: strawberry.ID = strawberry.field(description="Id of the connection.")
    facility_ref: str = strawberry.field(description="The facility.")
    custom_service_ref: strawberry.ID = strawberry.field(description="The custom service.")
    status: FacilityConnectionStatus = strawberry.field(description="ACTIVE or INACTIVE.")
    execution_time_in_min: int | None = strawberry.field(
        description="Duration in this facility, in minutes; overrides the service's."
    )
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")
    version: int = strawberry.field(description="Optimistic-locking version.")

    @strawberry.field(description="The connected custom service.")
    async def custom_service(self, info: strawberry.Info[Context, None]) -> CustomService | None:
        row = await info.context.loaders.custom_service_by_id.load(str(self.custom_service_ref))
        return CustomService.from_row(row) if row else None

    @classmethod
    def from_row(
        cls, row: tables.FacilityCustomServiceConnection
    ) -> FacilityCustomServiceConnection:
        return cls(
            id=strawberry.ID(row.id),
            facility_ref=row.facility_ref,
            custom_service_ref=strawberry.ID(row.custom_service_id),
            status=FacilityConnectionStatus[row.status],
            execution_time_in_min=row.execution_time_in_min,
            created=row.created,
            last_modified=row.last_modified,
            version=row.version,
        )
