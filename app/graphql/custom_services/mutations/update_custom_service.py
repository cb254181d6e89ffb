"""updateCustomService"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.graphql.custom_services.inputs import UpdateCustomServiceInput
from app.graphql.custom_services.types import CustomService
from app.services import custom_services


@strawberry.type(description="Result of updateCustomService.")
class UpdateCustomServicePayload(MutationPayload):
    custom_service: CustomService | None = strawberry.field(
        description="The custom service after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def update_custom_service(
    info: strawberry.Info[Context, None],
    input: Annotated[
        UpdateCustomServiceInput, strawberry.argument(description="The mutation's input.")
    ],
) -> UpdateCustomServicePayload:
    context = info.context
    return await answer(
        UpdateCustomServicePayload,
        lambda: custom_services.update_custom_service(
            context.db, context.viewer, str(input.id), input.version, input.changes()
        ),
        lambda row: UpdateCustomServicePayload(
            custom_service=CustomService.from_row(row), user_errors=[]
        ),
    )
