"""Queries of the close-out flow."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.reason_codes import codes_for
from app.graphql.appointments.types import CancellationReason
from app.graphql.context import Context


@strawberry.type
class AppointmentQuery:
    @strawberry.field(
        description="Reason codes that may cancel a job of this marketplace: the Heavy bulky "
        "column when serviceType is heavybulky, else the Default one (the table of the \u201cClose "
        "service jobs\u201d guide)."
    )
    def cancellation_reason_codes(
        self,
        info: strawberry.Info[Context, None],
        marketplace_id: Annotated[str, strawberry.argument(description="The marketplace id.")],
        service_type: Annotated[
            str | None, strawberry.argument(description="The job's service type.")
        ] = None,
    ) -> list[CancellationReason]:
        return [CancellationReason.from_code(c) for c in codes_for(marketplace_id, service_type)]
