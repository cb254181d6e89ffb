"""Inputs of service jobs and their conversion to domain values."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.job_values import GivenValue
from app.domain.service_jobs import LineItemDraft, NewServiceJob
from app.graphql.common.articles import ArticleInput, ArticleItemInput
from app.graphql.common.scalars import JSONObject


@strawberry.input(description="An item a job works on.")
class LineItemInput:
    article: ArticleInput = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many (at least 1).")
    scannable_codes: list[str] = strawberry.field(
        default_factory=list, description="Barcodes and the like (≤ 50)."
    )
    custom_attributes: JSONObject | None = strawberry.field(
        default=None, description="Free-form attributes."
    )

    def to_draft(self) -> LineItemDraft:
        return LineItemDraft(
            article=self.article.to_value(),
            quantity=self.quantity,
            scannable_codes=self.scannable_codes,
            custom_attributes=self.custom_attributes,
        )


@strawberry.input(
    description="An answer to a job's question, naming the question by exactly one of its ids."
)
class AdditionalInformationValueInput:
    additional_information_ref: strawberry.ID | None = strawberry.field(
        default=None,
        description="The question's id: what `ServiceJobAdditionalInformation.id` shows.",
    )
    tenant_additional_information_ref: str | None = strawberry.field(
        default=None,
        description="The question's tenant id: the value a job's question shows as "
        "`tenantAdditionalInformationId` (an input naming something is a `…Ref`, the field "
        "that shows it is an `…Id`).",
    )
    value: str | None = strawberry.field(
        default=None,
        description="The answer as text: a number for NUMBER, true/false for BOOLEAN, one line "
        "for STRING, any text for INPUT_MULTILINE_STRING, null for NOVALUE.",
    )

    def to_value(self) -> GivenValue:
        return GivenValue(
            additional_information_ref=(
                str(self.additional_information_ref)
                if self.additional_information_ref is not None
                else None
            ),
            tenant_additional_information_ref=self.tenant_additional_information_ref,
            value=self.value,
        )


@strawberry.input(description="A new service job, made from a custom service in a facility.")
class CreateServiceJobInput:
    facility_ref: str = strawberry.field(description="The facility that does the job.")
    target_time: datetime = strawberry.field(description="When it should be done.")
    custom_service_ref: strawberry.ID | None = strawberry.field(
        default=None, description="The custom service (or give tenantCustomServiceId)."
    )
    tenant_custom_service_id: str | None = strawberry.field(
        default=None, description="The custom service by the tenant's id."
    )
    process_ref: str | None = strawberry.field(
        default=None, description="The process; a new one is made when absent."
    )
    operative_process_ref: str | None = strawberry.field(
        default=None, description="The operative process."
    )
    short_id: str | None = strawberry.field(default=None, description="A short id for people.")
    tenant_order_id: str | None = strawberry.field(default=None, description="Its order.")
    line_items: list[LineItemInput] = strawberry.field(
        default_factory=list, description="Items the job works on (≤ 50)."
    )
    custom_attributes: JSONObject | None = strawberry.field(
        default=None, description="Free-form attributes (default: the service's)."
    )
    assigned_users: list[str] = strawberry.field(
        default_factory=list, description="Ids of assigned users (≤ 10)."
    )
    additional_information: list[AdditionalInformationValueInput] = strawberry.field(
        default_factory=list, description="Answers given up front (≤ 15)."
    )
    service_job_link_ref: strawberry.ID | None = strawberry.field(
        default=None,
        description="Put the job's link beneath this link (it becomes a prerequisite of that "
        "link's job); absent: a new tree is made.",
    )
    marketplace_id: str | None = strawberry.field(
        default=None,
        description="Marketplace of the close-out flow: ATVPDKIKX0DER (US), A1F83G8C2ARO7P "
        "(UK), A1PA6795UKMFR9 (DE), A21TJRUUN4KGV (IN).",
    )
    service_type: str | None = strawberry.field(
        default=None, description="Service type; heavybulky selects other reason codes."
    )

    required_line_items: list[ArticleItemInput] | None = strawberry.field(
        default=None,
        description="The items the job needs (≤ 50), instead of its custom service's "
        "articleItems; they count by article and quantity, whether the job was created with "
        "them, selected them or got them passed on from the jobs beneath.",
    )

    def to_new_job(self) -> NewServiceJob:
        return NewServiceJob(
            facility_ref=self.facility_ref,
            target_time=self.target_time,
            custom_service_ref=str(self.custom_service_ref) if self.custom_service_ref else None,
            tenant_custom_service_id=self.tenant_custom_service_id,
            process_ref=self.process_ref,
            operative_process_ref=self.operative_process_ref,
            short_id=self.short_id,
            tenant_order_id=self.tenant_order_id,
            line_items=[item.to_draft() for item in self.line_items],
            custom_attributes=self.custom_attributes,
            assigned_users=self.assigned_users,
            service_job_link_ref=(
                str(self.service_job_link_ref) if self.service_job_link_ref else None
            ),
            marketplace_id=self.marketplace_id,
            service_type=self.service_type,
            additional_information=[v.to_value() for v in self.additional_information],
            required_line_items=(
                [item.to_value() for item in self.required_line_items]
                if self.required_line_items is not None
                else None
            ),
        )
