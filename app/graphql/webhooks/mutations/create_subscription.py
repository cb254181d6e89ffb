"""createWebhookSubscription"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.events import EventType as DomainEventType
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.events.types import EventType
from app.graphql.webhooks.types import WebhookSubscription
from app.services import webhooks


@strawberry.input(description="Subscribe a callback url to events.")
class CreateWebhookSubscriptionInput:
    callback_url: str = strawberry.field(
        description="An absolute https:// (or http://) url without credentials, at most 2,048 "
        "characters. Private, loopback and link-local addresses are refused (also once the "
        "name is resolved, at every delivery) unless the gateway allows them."
    )
    events: list[EventType] = strawberry.field(
        description="The event types to receive (at least one, each once)."
    )
    facility_refs: list[str] | None = strawberry.field(
        default=None,
        description="Only events of these facilities (at most 100). Left out: all of the "
        "tenant's facilities, or, for a facility-scoped caller, all of its own; a facility "
        "outside its scope is NOT_FOUND.",
    )


@strawberry.type(description="Result of createWebhookSubscription.")
class CreateWebhookSubscriptionPayload(MutationPayload):
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        description="The new subscription; null if refused."
    )
    secret: str | None = strawberry.field(
        description="The signing secret: the key of X-Signature-SHA256's HMAC. Returned here "
        "only, never again; keep it."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def create_webhook_subscription(
    info: strawberry.Info[Context, None],
    input: Annotated[
        CreateWebhookSubscriptionInput,
        strawberry.argument(description="The callback url and the events to send it."),
    ],
) -> CreateWebhookSubscriptionPayload:
    context = info.context
    return await answer(
        CreateWebhookSubscriptionPayload,
        lambda: webhooks.create_subscription(
            context.db,
            context.settings,
            context.viewer,
            callback_url=input.callback_url,
            events=[DomainEventType[e.name] for e in input.events],
            facility_refs=input.facility_refs,
        ),
        lambda made: CreateWebhookSubscriptionPayload(
            webhook_subscription=WebhookSubscription.from_row(made.row),
            secret=made.secret,
            user_errors=[],
        ),
    )
