"""Mutations of webhook subscriptions, one module each."""

from __future__ import annotations

import strawberry

from app.graphql.webhooks.mutations.create_subscription import create_webhook_subscription
from app.graphql.webhooks.mutations.delete_subscription import delete_webhook_subscription


@strawberry.type
class WebhookMutation:
    create_webhook_subscription = strawberry.mutation(
        resolver=create_webhook_subscription,
        description="Subscribe a callback url to events; the answer carries the signing secret, "
        "this once.",
    )
    delete_webhook_subscription = strawberry.mutation(
        resolver=delete_webhook_subscription,
        description="Unsubscribe: nothing more is sent, and its deliveries are removed.",
    )
