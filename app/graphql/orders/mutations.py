"""createOrder"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.domain.orders import MAX_DEPTH, OrderArticle, OrderItem
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.orders.queries import load_order
from app.graphql.orders.types import Order
from app.graphql.service_jobs.inputs import LineItemInput
from app.services import orders


@strawberry.input(description="Which custom service: by exactly one of its ids.")
class CustomServiceDefinitionInput:
    custom_service_ref: strawberry.ID | None = strawberry.field(
        default=None, description="The custom service's id."
    )
    tenant_custom_service_id: str | None = strawberry.field(
        default=None, description="The custom service's tenant id."
    )


@strawberry.input(description="An article an order item needs.")
class OrderArticleItemInput:
    tenant_article_ref: str = strawberry.field(description="The tenant's article id.")
    quantity: int = strawberry.field(description="How many (at least 1).")


@strawberry.input(description="A custom service of an order, with the ones nested beneath it.")
class OrderCustomServiceInput:
    custom_service_definition: CustomServiceDefinitionInput = strawberry.field(
        description="Which custom service."
    )
    article_items: list[OrderArticleItemInput] = strawberry.field(
        default_factory=list, description="Articles it needs (its ancestors need them too)."
    )
    custom_service_items: list[OrderCustomServiceInput] = strawberry.field(
        default_factory=list,
        description="Services done before it, as jobs beneath its link (≤ 15 per level).",
    )

    def to_item(self, depth: int = 1) -> OrderItem:
        definition = self.custom_service_definition
        return OrderItem(
            custom_service_ref=(
                str(definition.custom_service_ref) if definition.custom_service_ref else None
            ),
            tenant_custom_service_id=definition.tenant_custom_service_id,
            article_items=[
                OrderArticle(a.tenant_article_ref, a.quantity) for a in self.article_items
            ],
            # One level past the limit is kept so the domain check can name it.
            children=(
                [c.to_item(depth + 1) for c in self.custom_service_items]
                if depth <= MAX_DEPTH
                else [OrderItem(None, None)]
                if self.custom_service_items
                else []
            ),
        )


@strawberry.input(description="A new order of custom services.")
class CreateOrderInput:
    tenant_order_id: str = strawberry.field(description="The tenant's order id (unique).")
    facility_id: str = strawberry.field(description="The facility that does the jobs.")
    target_time: datetime = strawberry.field(description="When the jobs should be done.")
    custom_services: list[OrderCustomServiceInput] = strawberry.field(
        description="The services, nested (≤ 15 per level, ≤ 50 in all, ≤ 25 deep)."
    )
    marketplace_id: str | None = strawberry.field(default=None, description="Marketplace.")
    service_type: str | None = strawberry.field(default=None, description="Service type.")
    line_items: list[LineItemInput] = strawberry.field(
        default_factory=list,
        description="The order's items (≤ 50): the tree's service data, for its jobs to select.",
    )


@strawberry.type(description="Result of createOrder.")
class CreateOrderPayload(MutationPayload):
    order: Order | None = strawberry.field(description="The new order; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def create_order(
    info: strawberry.Info[Context, None],
    input: Annotated[CreateOrderInput, strawberry.argument(description="The order.")],
) -> CreateOrderPayload:
    context = info.context

    async def create() -> str:
        await orders.create_order(
            context.db,
            context.viewer,
            orders.NewOrder(
                tenant_order_id=input.tenant_order_id,
                facility_ref=input.facility_id,
                target_time=input.target_time,
                items=[item.to_item() for item in input.custom_services],
                marketplace_id=input.marketplace_id,
                service_type=input.service_type,
                line_items=[item.to_draft() for item in input.line_items],
            ),
            context.settings.max_jobs_per_tree,
        )
        return input.tenant_order_id

    async def created(tenant_order_id: str) -> CreateOrderPayload:
        return CreateOrderPayload(order=await load_order(context, tenant_order_id), user_errors=[])

    return await answer(CreateOrderPayload, create, created)


@strawberry.type
class OrderMutation:
    create_order = strawberry.mutation(
        resolver=create_order,
        description="Create an order: its nested custom services become one tree of jobs, in "
        "one transaction.",
    )
