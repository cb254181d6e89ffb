"""The payload every service-job mutation returns."""

from __future__ import annotations

import strawberry

from app.db import tables
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload
from app.graphql.service_jobs.types import ServiceJob


@strawberry.type(description="Result of a change to a service job.")
class ServiceJobPayload(MutationPayload):
    service_job: ServiceJob | None = strawberry.field(
        description="The job after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")

    @classmethod
    def done(cls, row: tables.ServiceJob) -> ServiceJobPayload:
        return cls(service_job=ServiceJob.from_row(row), user_errors=[])
