"""Queries of the close-out flow."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.reason_codes import codes_for
from app.graphql.appointments.types import CancellationReason
from app.graphql.context import Context
from app.graphql.read_path.sources import RootCall, reads


def reason_codes(
    context: Context, marketplace_id: str, service_type: str | None = None
) -> list[CancellationReason]:
    """The reason codes of a marketplace and service type (the resolver's and the read
    path's)."""
    return [CancellationReason.from_code(c) for c in codes_for(marketplace_id, service_type)]


@strawberry.type
class AppointmentQuery:
    @strawberry.field(
        description="Reason codes that may cancel a job of this marketplace: the Heavy bulky "
        "column when serviceType is heavybulky, else the Default one (the table of the \u201cClose "
        "service jobs\u201d guide).",
        metadata=reads(root=RootCall(reason_codes)),
    )
    def cancellation_reason_codes(
        self,
        info: strawberry.Info[Context, None],
        marketplace_id: Annotated[str, strawberry.argument(description="The marketplace id.")],
        service_type: Annotated[
            str | None, strawberry.argument(description="The job's service type.")
        ] = None,
    ) -> list[CancellationReason]:
        return reason_codes(info.context, marketplace_id, service_type)
