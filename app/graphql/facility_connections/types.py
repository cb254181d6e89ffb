"""Output types of facility connections."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from app.graphql.context import Context
from app.graphql.custom_services.types import CustomService
from app.graphql.read_path.relations import attach
from app.graphql.read_path.sources import reads, row_value
from app.repositories.custom_service_reads import services_by_id


@strawberry.enum(description="Whether a facility offers the connected service.")
class FacilityConnectionStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Jobs of the service can be created.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="No new jobs of the service.")


def _service_ref(connection: FacilityCustomServiceConnection) -> str:
    return str(connection.custom_service_ref)


def _found(row: Any) -> tuple[CustomService, ...]:
    return (CustomService.from_row(row),) if row is not None else ()


class ServicesOfConnections:
    """`FacilityCustomServiceConnection.customService` of every connection of a level, in one
    statement (a service connected several times is read once)."""

    async def fetch(self, context: Context, parents: Sequence[Any]) -> Sequence[Any]:
        await attach(context, parents, "_service", _service_ref, services_by_id, _found)
        return [service for connection in parents for service in connection._service]


def _connected_service(connection: FacilityCustomServiceConnection) -> CustomService | None:
    return connection._service[0] if connection._service else None


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
    #: Attached by the read path's relation: the service, or none when it is gone (None:
    #: not read yet).
    _service: strawberry.Private[tuple[CustomService, ...] | None]

    @strawberry.field(
        description="The connected custom service.",
        metadata=reads(getter=row_value(_connected_service), relation=SERVICES_OF_CONNECTIONS),
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
        )
