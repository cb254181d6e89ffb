"""add/replace/deleteCustomServiceAdditionalInformation: each changes one question and bumps
the service's version."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.db import tables
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.custom_services.inputs import AdditionalInformationInput
from app.graphql.custom_services.types import AdditionalInformation, CustomService
from app.services import custom_services


@strawberry.input(description="Add a question to a custom service.")
class AddCustomServiceAdditionalInformationInput:
    custom_service_id: strawberry.ID = strawberry.field(description="The custom service.")
    version: int = strawberry.field(description="The service's version last seen.")
    additional_information: AdditionalInformationInput = strawberry.field(
        description="The new question."
    )


@strawberry.input(description="Replace a question of a custom service.")
class ReplaceCustomServiceAdditionalInformationInput:
    custom_service_id: strawberry.ID = strawberry.field(description="The custom service.")
    version: int = strawberry.field(description="The service's version last seen.")
    additional_information_id: strawberry.ID = strawberry.field(
        description="The question to replace."
    )
    additional_information: AdditionalInformationInput = strawberry.field(
        description="What replaces it."
    )


@strawberry.input(description="Delete a question of a custom service.")
class DeleteCustomServiceAdditionalInformationInput:
    custom_service_id: strawberry.ID = strawberry.field(description="The custom service.")
    version: int = strawberry.field(description="The service's version last seen.")
    additional_information_id: strawberry.ID = strawberry.field(
        description="The question to delete."
    )


@strawberry.type(description="Result of a change to a custom service's questions.")
class CustomServiceAdditionalInformationPayload(MutationPayload):
    custom_service: CustomService | None = strawberry.field(
        description="The custom service after the change; null when refused."
    )
    additional_information: AdditionalInformation | None = strawberry.field(
        description="The question added or replaced; null on delete or when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


def _answered(
    change: tuple[tables.CustomService, tables.CustomServiceAdditionalInformation | None],
) -> CustomServiceAdditionalInformationPayload:
    service, question = change
    return CustomServiceAdditionalInformationPayload(
        custom_service=CustomService.from_row(service),
        additional_information=AdditionalInformation.from_row(question) if question else None,
        user_errors=[],
    )


async def add_custom_service_additional_information(
    info: strawberry.Info[Context, None],
    input: Annotated[
        AddCustomServiceAdditionalInformationInput,
        strawberry.argument(description="The mutation's input."),
    ],
) -> CustomServiceAdditionalInformationPayload:
    context = info.context
    return await answer(
        CustomServiceAdditionalInformationPayload,
        lambda: custom_services.add_additional_information(
            context.db,
            context.viewer,
            str(input.custom_service_id),
            input.version,
            input.additional_information.to_draft(),
        ),
        _answered,
    )


async def replace_custom_service_additional_information(
    info: strawberry.Info[Context, None],
    input: Annotated[
        ReplaceCustomServiceAdditionalInformationInput,
        strawberry.argument(description="The mutation's input."),
    ],
) -> CustomServiceAdditionalInformationPayload:
    context = info.context
    return await answer(
        CustomServiceAdditionalInformationPayload,
        lambda: custom_services.replace_additional_information(
            context.db,
            context.viewer,
            str(input.custom_service_id),
            input.version,
            str(input.additional_information_id),
            input.additional_information.to_draft(),
        ),
        _answered,
    )


async def delete_custom_service_additional_information(
    info: strawberry.Info[Context, None],
    input: Annotated[
        DeleteCustomServiceAdditionalInformationInput,
        strawberry.argument(description="The mutation's input."),
    ],
) -> CustomServiceAdditionalInformationPayload:
    context = info.context

    async def delete() -> tuple[tables.CustomService, None]:
        service = await custom_services.delete_additional_information(
            context.db,
            context.viewer,
            str(input.custom_service_id),
            input.version,
            str(input.additional_information_id),
        )
        return service, None

    return await answer(CustomServiceAdditionalInformationPayload, delete, _answered)
