"""Reading webhook subscriptions and their deliveries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.webhooks import DeliveryStatus
from app.graphql.common.pagination import After, Connection, First, page_request, to_connection
from app.graphql.context import Context
from app.graphql.read_path.sources import RootCall, reads
from app.graphql.webhooks.types import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from app.services import webhooks


async def subscription_page(
    context: Context, first: int | None = None, after: str | None = None
) -> Connection[WebhookSubscription]:
    """The caller's webhook subscriptions (the resolver's and the read path's)."""
    page = page_request(context.settings, first, after)
    viewer = context.viewer
    rows = await webhooks.subscriptions(context.reads, viewer, page)

    async def total() -> int:
        return await webhooks.count_subscriptions(context.reads, viewer)

    return to_connection(rows, WebhookSubscription.from_row, total)


async def delivery_page(
    context: Context,
    subscription_id: str,
    first: int | None = None,
    after: str | None = None,
    status: WebhookDeliveryStatus | None = None,
) -> Connection[WebhookDelivery]:
    """A subscription's deliveries (the resolver's and the read path's)."""
    page = page_request(context.settings, first, after)
    viewer = context.viewer
    ident = str(subscription_id)
    wanted = DeliveryStatus[status.name] if status is not None else None
    rows = await webhooks.deliveries(context.reads, viewer, ident, wanted, page)

    async def total() -> int:
        return await webhooks.count_deliveries(context.reads, viewer, ident, wanted)

    return to_connection(rows, WebhookDelivery.from_row, total)


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="The tenant's webhook subscriptions, oldest first. A facility-scoped caller "
        "sees those limited to facilities within its own.",
        metadata=reads(root=RootCall(subscription_page)),
    )
    async def webhook_subscriptions(
        self, info: strawberry.Info[Context, None], first: First = None, after: After = None
    ) -> Connection[WebhookSubscription]:
        return await subscription_page(info.context, first, after)

    @strawberry.field(
        description="A subscription's deliveries, oldest first: status, attempts, the last "
        "error or HTTP status, the next attempt. Empty for a subscription the caller cannot "
        "see, as for one that does not exist.",
        metadata=reads(root=RootCall(delivery_page)),
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info[Context, None],
        subscription_id: Annotated[
            strawberry.ID, strawberry.argument(description="The subscription.")
        ],
        first: First = None,
        after: After = None,
        status: Annotated[
            WebhookDeliveryStatus | None,
            strawberry.argument(description="Only deliveries in this status."),
        ] = None,
    ) -> Connection[WebhookDelivery]:
        return await delivery_page(info.context, str(subscription_id), first, after, status)
