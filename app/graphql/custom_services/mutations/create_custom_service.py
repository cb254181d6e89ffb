"""createCustomService"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.custom_services.inputs import CreateCustomServiceInput
from app.graphql.custom_services.types import CustomService
from app.services import custom_services


@strawberry.type(description="Result of createCustomService.")
class CreateCustomServicePayload(MutationPayload):
    custom_service: CustomService | None = strawberry.field(
        description="The new custom service; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def create_custom_service(
    info: strawberry.Info[Context, None],
    input: Annotated[
        CreateCustomServiceInput, strawberry.argument(description="The mutation's input.")
    ],
) -> CreateCustomServicePayload:
    context = info.context
    return await answer(
        CreateCustomServicePayload,
        lambda: custom_services.create_custom_service(
            context.db, context.viewer, input.to_fields()
        ),
        lambda row: CreateCustomServicePayload(
            custom_service=CustomService.from_row(row), user_errors=[]
        ),
    )
