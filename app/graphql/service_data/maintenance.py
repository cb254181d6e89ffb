"""addServiceDataAvailableLineItems, removeServiceDataAvailableLineItems and
updateServiceDataAvailableLineItems: correcting a tree's service data (DOMAIN §6)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.domain.service_data_maintenance import NewItem, QuantityChange
from app.graphql.common.articles import ArticleInput
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.service_jobs.service_data import ServiceData
from app.repositories.service_data import ServiceDataState
from app.services.service_data import correct_items


@strawberry.input(description="A new available line item: an article and how many units.")
class NewAvailableLineItemInput:
    article: ArticleInput = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many units (at least 1).")


@strawberry.input(description="Items to add to a tree's service data.")
class AddServiceDataAvailableLineItemsInput:
    service_data_id: strawberry.ID = strawberry.field(description="The service data.")
    version: int = strawberry.field(description="The service data's version last seen.")
    items: list[NewAvailableLineItemInput] = strawberry.field(description="1 to 50 new items.")


@strawberry.input(description="Items to remove from a tree's service data.")
class RemoveServiceDataAvailableLineItemsInput:
    service_data_id: strawberry.ID = strawberry.field(description="The service data.")
    version: int = strawberry.field(description="The service data's version last seen.")
    service_item_refs: list[strawberry.ID] = strawberry.field(
        description="1 to 50 items (AvailableLineItem.id) no job holds units of."
    )


@strawberry.input(description="A new quantity of an available line item.")
class AvailableLineItemQuantityInput:
    service_item_ref: strawberry.ID = strawberry.field(description="The item (its id).")
    quantity: int = strawberry.field(
        description="Its new quantity: at least 1, and never below the units jobs hold."
    )


@strawberry.input(description="New quantities of items of a tree's service data.")
class UpdateServiceDataAvailableLineItemsInput:
    service_data_id: strawberry.ID = strawberry.field(description="The service data.")
    version: int = strawberry.field(description="The service data's version last seen.")
    items: list[AvailableLineItemQuantityInput] = strawberry.field(description="1 to 50 items.")


@strawberry.type(description="Result of correcting a service data.")
class ServiceDataPayload(MutationPayload):
    service_data: ServiceData | None = strawberry.field(
        description="The service data after the change (its version bumped); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


def _payload(state: ServiceDataState) -> ServiceDataPayload:
    return ServiceDataPayload(service_data=ServiceData.from_state(state), user_errors=[])


async def _corrected(
    info: strawberry.Info[Context, None], service_data_id: str, version: int, **change: Any
) -> ServiceDataPayload:
    """One correction of a tree's service data, answered as a payload (its userErrors when
    refused)."""
    return await answer(
        ServiceDataPayload,
        lambda: correct_items(
            info.context.db, info.context.viewer, service_data_id, version, **change
        ),
        _payload,
    )


async def add_service_data_available_line_items(
    info: strawberry.Info[Context, None],
    input: Annotated[
        AddServiceDataAvailableLineItemsInput, strawberry.argument(description="The items.")
    ],
) -> ServiceDataPayload:
    items = [NewItem(i.article.to_value(), i.quantity) for i in input.items]
    return await _corrected(info, str(input.service_data_id), input.version, add=items)


async def remove_service_data_available_line_items(
    info: strawberry.Info[Context, None],
    input: Annotated[
        RemoveServiceDataAvailableLineItemsInput, strawberry.argument(description="The items.")
    ],
) -> ServiceDataPayload:
    refs = [str(ref) for ref in input.service_item_refs]
    return await _corrected(info, str(input.service_data_id), input.version, remove=refs)


async def update_service_data_available_line_items(
    info: strawberry.Info[Context, None],
    input: Annotated[
        UpdateServiceDataAvailableLineItemsInput, strawberry.argument(description="The items.")
    ],
) -> ServiceDataPayload:
    changes = [QuantityChange(str(i.service_item_ref), i.quantity) for i in input.items]
    return await _corrected(info, str(input.service_data_id), input.version, update=changes)


@strawberry.type
class ServiceDataMaintenanceMutation:
    add_service_data_available_line_items = strawberry.mutation(
        resolver=add_service_data_available_line_items,
        description="Add items to a tree's service data (with its version); nobody holds them "
        "yet. Jobs that could not get their required items may become able to.",
    )
    remove_service_data_available_line_items = strawberry.mutation(
        resolver=remove_service_data_available_line_items,
        description="Remove items no job holds units of (with the service data's version). Jobs "
        "that can then no longer get their required items show "
        "REQUIRED_LINE_ITEMS_UNFULFILLABLE.",
    )
    update_service_data_available_line_items = strawberry.mutation(
        resolver=update_service_data_available_line_items,
        description="Change items' quantities (with the service data's version), never below "
        "the units jobs hold.",
    )
