"""GraphQL types of webhooks."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.db import tables
from app.domain.webhooks import DeliveryStatus
from app.graphql.events.types import EventType


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(enum.Enum):
    PENDING = strawberry.enum_value(
        DeliveryStatus.PENDING.value,
        description="Waiting for its first or next attempt, or being attempted now.",
    )
    DELIVERED = strawberry.enum_value(
        DeliveryStatus.DELIVERED.value, description="The receiver answered with a 2xx status."
    )
    DEAD = strawberry.enum_value(
        DeliveryStatus.DEAD.value,
        description="Every attempt failed (WEBHOOK_MAX_ATTEMPTS); no more are made.",
    )


@strawberry.type(
    description="A callback url that receives the tenant's events of the chosen types: each as "
    "`POST callbackUrl` with the body `{event, eventId, payload}` and the headers `X-Event-Id` "
    "and `X-Signature-SHA256` (base64 HMAC-SHA256 of the body's exact bytes, keyed with the "
    "secret returned when it was made). Events are delivered at least once: de-duplicate by "
    "`eventId`."
)
class WebhookSubscription:
    id: strawberry.ID = strawberry.field(description="Id of the subscription.")
    callback_url: str = strawberry.field(description="Where events are posted.")
    events: list[EventType] = strawberry.field(description="The event types it receives.")
    facility_refs: list[str] | None = strawberry.field(
        description="The facilities whose events it receives; null: all of the tenant's."
    )
    active: bool = strawberry.field(
        description="Whether it receives events: true while it exists; false only in the "
        "answer of deleteWebhookSubscription."
    )
    created: datetime = strawberry.field(description="When it was made (UTC).")

    @classmethod
    def from_row(cls, row: tables.WebhookSubscription) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(row.id),
            callback_url=row.callback_url,
            events=[EventType[e] for e in row.events],
            facility_refs=list(row.facility_refs) if row.facility_refs is not None else None,
            active=row.active,
            created=row.created,
        )


@strawberry.type(description="One event for one subscription, and how its attempts went.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Id of the delivery.")
    subscription_id: strawberry.ID = strawberry.field(description="The subscription.")
    event_id: strawberry.ID = strawberry.field(
        description="The event (its `id` in `events`; the `X-Event-Id` header and `eventId`)."
    )
    event_type: EventType = strawberry.field(description="The event's type.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_http_status: int | None = strawberry.field(
        description="The HTTP status of the last answer; null when there was none (no "
        "attempt yet, a timeout, a refused address, a connection error)."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed; null after a success."
    )
    last_attempt_at: datetime | None = strawberry.field(
        description="When the last attempt started (UTC)."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is attempted next (UTC); while an attempt is in flight, when "
        "another worker takes it over should this one never report back. Null once DELIVERED "
        "or DEAD."
    )
    delivered_at: datetime | None = strawberry.field(description="When it was delivered (UTC).")
    created: datetime = strawberry.field(description="When the event was queued for it (UTC).")

    @classmethod
    def from_row(cls, row: tables.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(row.id),
            subscription_id=strawberry.ID(row.subscription_id),
            event_id=strawberry.ID(str(row.event_id)),
            event_type=EventType[row.event_type],
            status=WebhookDeliveryStatus[row.status],
            attempts=row.attempts,
            last_http_status=row.last_http_status,
            last_error=row.last_error,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            created=row.created,
        )
