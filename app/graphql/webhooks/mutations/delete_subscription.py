"""deleteWebhookSubscription"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.webhooks.types import WebhookSubscription
from app.services import webhooks


@strawberry.input(description="Remove a webhook subscription.")
class DeleteWebhookSubscriptionInput:
    id: strawberry.ID = strawberry.field(description="The subscription.")


@strawberry.type(description="Result of deleteWebhookSubscription.")
class DeleteWebhookSubscriptionPayload(MutationPayload):
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        description="The subscription as it was, now inactive; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def delete_webhook_subscription(
    info: strawberry.Info[Context, None],
    input: Annotated[
        DeleteWebhookSubscriptionInput,
        strawberry.argument(description="The subscription to remove."),
    ],
) -> DeleteWebhookSubscriptionPayload:
    context = info.context
    return await answer(
        DeleteWebhookSubscriptionPayload,
        lambda: webhooks.delete_subscription(context.db, context.viewer, str(input.id)),
        lambda row: DeleteWebhookSubscriptionPayload(
            webhook_subscription=WebhookSubscription.from_row(row), user_errors=[]
        ),
    )
