"""GraphQL types of the outbox."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from app.domain import events
from app.graphql.common.scalars import JSONObject


@strawberry.enum(description="What happened.")
class EventType(Enum):
    SERVICE_JOB_CREATED = strawberry.enum_value(
        events.EventType.SERVICE_JOB_CREATED.value, description="A service job was created."
    )
    SERVICE_JOB_CHANGED = strawberry.enum_value(
        events.EventType.SERVICE_JOB_CHANGED.value,
        description="A service job changed (status, fields, its tree); its version bumped.",
    )
    LINKED_SERVICE_JOBS_CREATED = strawberry.enum_value(
        events.EventType.LINKED_SERVICE_JOBS_CREATED.value, description="A tree was created."
    )
    LINKED_SERVICE_JOBS_CHANGED = strawberry.enum_value(
        events.EventType.LINKED_SERVICE_JOBS_CHANGED.value,
        description="Something inside a tree changed: a job, a link, its service data.",
    )
    LINKED_SERVICE_JOBS_MERGED = strawberry.enum_value(
        events.EventType.LINKED_SERVICE_JOBS_MERGED.value,
        description="A tree was merged into another one (payload.mergedInto) and is gone.",
    )


@strawberry.enum(description="The kind of entity an event is about.")
class EventEntityType(Enum):
    SERVICE_JOB = strawberry.enum_value(
        events.EntityType.SERVICE_JOB.value, description="A service job."
    )
    LINKED_SERVICE_JOBS = strawberry.enum_value(
        events.EntityType.LINKED_SERVICE_JOBS.value, description="A linked service jobs tree."
    )


@strawberry.type(
    description="One change, written in the transaction that made it: an event exists exactly "
    "when its change was committed."
)
class Event:
    id: strawberry.ID = strawberry.field(description="Grows in commit order within a tenant.")
    type: EventType = strawberry.field(description="What happened.")
    entity_type: EventEntityType = strawberry.field(description="The kind of entity.")
    entity_id: strawberry.ID = strawberry.field(description="The entity's id.")
    facility_ref: str = strawberry.field(description="The facility of the entity.")
    version: int = strawberry.field(description="The entity's version after the change.")
    payload: JSONObject = strawberry.field(
        description="A summary of the new state: for a job its status, subStatus, "
        "statusReason, linkedServiceJobsId and tenantOrderId; for a tree its tenantOrderId; "
        "for a merged tree the tree it went into (mergedInto)."
    )
    occurred_at: datetime = strawberry.field(description="When the change was committed.")

    @classmethod
    def from_row(cls, row: Any) -> Event:
        """An event of its row (an ORM row, or a driver row of its columns)."""
        return cls(
            id=strawberry.ID(str(row.id)),
            type=EventType[row.event_type],
            entity_type=EventEntityType[events.EntityType(row.entity_type).name],
            entity_id=strawberry.ID(row.entity_id),
            facility_ref=row.facility_ref,
            version=row.version,
            payload=JSONObject(row.payload),
            occurred_at=row.occurred_at,
        )
