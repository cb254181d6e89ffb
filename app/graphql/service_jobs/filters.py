"""The inputs of `serviceJobs`: its filter and its order."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.domain.job_search import check_search_term, check_values
from app.graphql.service_jobs.enums import ServiceJobStatus
from app.repositories.job_search import ServiceJobFilter

TEXT_MATCH = (
    "case-insensitive substring (`%` and `_` match only themselves; on SQLite only ASCII "
    "letters fold case)"
)


@strawberry.enum(description="Which way a list runs.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Earliest first (ties: by id).")
    DESC = strawberry.enum_value("DESC", description="Latest first (ties: by id, descending).")


@strawberry.enum(description="What a list of service jobs is ordered by.")
class ServiceJobOrderField(enum.Enum):
    TARGET_TIME = strawberry.enum_value("TARGET_TIME", description="The job's target time.")
    LAST_MODIFIED = strawberry.enum_value(
        "LAST_MODIFIED",
        description="When the job last changed (a job changed while paging moves in the list).",
    )
    CREATED = strawberry.enum_value("CREATED", description="When the job was created.")


@strawberry.input(description="The order of a list of service jobs (default: CREATED, ASC).")
class ServiceJobOrderInput:
    field: ServiceJobOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way (default ASC)."
    )


@strawberry.input(description="Narrows a list of service jobs; all given conditions apply.")
class ServiceJobFilterInput:
    status: ServiceJobStatus | None = strawberry.field(default=None, description="This status.")
    statuses: list[ServiceJobStatus] | None = strawberry.field(
        default=None, description="One of these statuses (≤ 20 values)."
    )
    facility_ref: str | None = strawberry.field(default=None, description="This facility.")
    tenant_order_id: str | None = strawberry.field(default=None, description="This order.")
    custom_service_ref: strawberry.ID | None = strawberry.field(
        default=None, description="Made from this custom service."
    )
    target_time_from: datetime | None = strawberry.field(
        default=None, description="Target time at or after this."
    )
    target_time_to: datetime | None = strawberry.field(
        default=None, description="Target time at or before this."
    )
    assigned_user: str | None = strawberry.field(
        default=None, description="Assigned to this user, named by userId or by username."
    )
    search_term: str | None = strawberry.field(
        default=None,
        description="Found in the job's tenantOrderId, shortId, name (any locale), or an item's "
        f"article id, title or scannable codes: {TEXT_MATCH}.",
    )
    marketplace_ids: list[str] | None = strawberry.field(
        default=None, description="Of one of these marketplaces (≤ 20 values)."
    )
    created_from: datetime | None = strawberry.field(
        default=None, description="Created at or after this."
    )
    created_to: datetime | None = strawberry.field(
        default=None, description="Created at or before this."
    )
    last_modified_from: datetime | None = strawberry.field(
        default=None, description="Last changed at or after this."
    )
    last_modified_to: datetime | None = strawberry.field(
        default=None, description="Last changed at or before this."
    )
    appointment_from: datetime | None = strawberry.field(
        default=None,
        description="Has an appointment (not cancelled) starting at or after this (and before "
        "`appointmentTo` when both are given).",
    )
    appointment_to: datetime | None = strawberry.field(
        default=None, description="Has an appointment (not cancelled) starting at or before this."
    )

    def to_filter(self) -> ServiceJobFilter:
        check_values(self.statuses, "statuses")
        check_values(self.marketplace_ids, "marketplaceIds")
        check_search_term(self.search_term, "searchTerm")
        return ServiceJobFilter(
            status=self.status.name if self.status else None,
            statuses=[s.name for s in self.statuses] if self.statuses is not None else None,
            facility_ref=self.facility_ref,
            tenant_order_id=self.tenant_order_id,
            custom_service_ref=str(self.custom_service_ref) if self.custom_service_ref else None,
            target_time_from=self.target_time_from,
            target_time_to=self.target_time_to,
            assigned_user=self.assigned_user,
            search_term=self.search_term,
            marketplace_ids=self.marketplace_ids,
            created_from=self.created_from,
            created_to=self.created_to,
            last_modified_from=self.last_modified_from,
            last_modified_to=self.last_modified_to,
            appointment_from=self.appointment_from,
            appointment_to=self.appointment_to,
        )
