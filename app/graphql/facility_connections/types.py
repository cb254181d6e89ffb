"""Output types of facility connections."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import strawberry

from app.graphql.context import Context
from app.graphql.custom_services.types import CustomService
from app.graphql.read_path.sources import reads, row_value
from app.repositories.custom_service_reads import services_by_id


@strawberry.enum(description="Whether a facility offers the connected service.")
class FacilityConnectionStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Jobs of the service can be created.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="No new jobs of the service.")


class ServicesOfConnections:
    """`FacilityCustomServiceConnection.customService` of every connection of a level, in one
    statement (a service connected several times is read once)."""

    async def fetch(self, context: Context, parents: Sequence[Any]) -> Sequence[Any]:
        missing = [connection for connection in parents if not connection._service_read]
        if missing:
            wanted = list(dict.fromkeys(str(c.custom_service_ref) for c in missing))
            async with context.read_connection() as connection:
                rows = await services_by_id(connection, context.viewer.tenant, wanted)
            services = {ident: CustomService.from_row(row) for ident, row in rows.items()}
            for connection in missing:
                connection._service = services.get(str(connection.custom_service_ref))
                connection._service_read = True
        return [c._service for c in parents if c._service is not None]


SERVICES_OF_CONNECTIONS = ServicesOfConnections()


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
    #: Attached by the read path's relation (`_service_read` False: not fetched yet).
    _service: strawberry.Private[CustomService | None]
    _service_read: strawberry.Private[bool]

    @strawberry.field(
        description="The connected custom service.",
        metadata=reads(getter=row_value(attrgetter("_service")), relation=SERVICES_OF_CONNECTIONS),
    )
    async def custom_service(self, info: strawberry.Info[Context, None]) -> CustomService | None:
        row = await info.context.loaders.custom_service_by_id.load(str(self.custom_service_ref))
        return CustomService.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Any) -> FacilityCustomServiceConnection:
        """From an ORM row or a read path row of the facility connection table."""
        return cls(
            id=strawberry.ID(row.id),
            facility_ref=row.facility_ref,
            custom_service_ref=strawberry.ID(row.custom_service_id),
            status=FacilityConnectionStatus[row.status],
            execution_time_in_min=row.execution_time_in_min,
            created=row.created,
            last_modified=row.last_modified,
            version=row.version,
            _service=None,
            _service_read=False,
        )
