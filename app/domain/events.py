"""What the gateway tells the world about changes: event types and the change notice that
travels between worker processes. Pure data; the outbox and the hub move it around."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import orjson


class EntityType(StrEnum):
    SERVICE_JOB = "ServiceJob"
    LINKED_SERVICE_JOBS = "LinkedServiceJobs"


class EventType(StrEnum):
    SERVICE_JOB_CREATED = "SERVICE_JOB_CREATED"
    SERVICE_JOB_CHANGED = "SERVICE_JOB_CHANGED"
    LINKED_SERVICE_JOBS_CREATED = "LINKED_SERVICE_JOBS_CREATED"
    LINKED_SERVICE_JOBS_CHANGED = "LINKED_SERVICE_JOBS_CHANGED"
    #: The tree was merged into another one by addServiceJobLink and no longer exists.
    LINKED_SERVICE_JOBS_MERGED = "LINKED_SERVICE_JOBS_MERGED"


#: Events after which the entity is gone: a subscription to it ends.
FINAL_EVENTS = frozenset({EventType.LINKED_SERVICE_JOBS_MERGED})


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """A committed event, small enough for a PostgreSQL NOTIFY payload (< 8,000 bytes)."""

    event_id: int
    tenant: str
    entity_type: EntityType
    entity_id: str
    version: int
    event_type: EventType

    @property
    def topic(self) -> Topic:
        return (self.tenant, self.entity_type, self.entity_id)

    def encode(self) -> str:
        return orjson.dumps(
            [
                self.event_id,
                self.tenant,
                self.entity_type.value,
                self.entity_id,
                self.version,
                self.event_type.value,
            ]
        ).decode()

    @classmethod
    def decode(cls, text: str) -> ChangeNotice:
        event_id, tenant, entity_type, entity_id, version, event_type = orjson.loads(text)
        return cls(
            int(event_id),
            str(tenant),
            EntityType(entity_type),
            str(entity_id),
            int(version),
            EventType(event_type),
        )


#: Subscribers listen to one entity of one tenant.
Topic = tuple[str, EntityType, str]
