"""Inputs of custom services and their conversion to domain values."""

from __future__ import annotations

from typing import Any

import strawberry

from app.domain import custom_services as domain
from app.graphql.common.articles import ArticleItemInput
from app.graphql.common.scalars import JSONObject, LocalizedText
from app.graphql.custom_services.enums import (
    AdditionalInformationValueType,
    CustomServiceStatusInput,
    ItemsRequired,
)


@strawberry.input(description="A question a worker answers on jobs of the service.")
class AdditionalInformationInput:
    name_localized: LocalizedText = strawberry.field(description="The question, per locale.")
    value_type: AdditionalInformationValueType = strawberry.field(
        description="What kind of answer is expected."
    )
    description_localized: LocalizedText | None = strawberry.field(
        default=None, description="Help text, per locale."
    )
    is_mandatory: bool = strawberry.field(
        default=False, description="A job cannot finish without an answer."
    )
    tenant_additional_information_id: str | None = strawberry.field(
        default=None, description="The tenant's own id, unique within the custom service."
    )

    def to_draft(self) -> domain.AdditionalInformationDraft:
        return domain.AdditionalInformationDraft(
            name_localized=self.name_localized,
            value_type=domain.ValueType[self.value_type.name],
            description_localized=self.description_localized,
            is_mandatory=self.is_mandatory,
            tenant_additional_information_id=self.tenant_additional_information_id,
        )


@strawberry.input(description="A new custom service.")
class CreateCustomServiceInput:
    name_localized: LocalizedText = strawberry.field(description="The name, per locale.")
    status: CustomServiceStatusInput = strawberry.field(
        default=CustomServiceStatusInput.ACTIVE, description="ACTIVE (default) or INACTIVE."
    )
    tenant_custom_service_id: str | None = strawberry.field(
        default=None, description="The tenant's own id, unique per tenant."
    )
    description_localized: LocalizedText | None = strawberry.field(
        default=None, description="The description, per locale."
    )
    execution_time_in_min: int | None = strawberry.field(
        default=None, description="How long a job takes, in minutes (≥ 0)."
    )
    items_returnable: bool = strawberry.field(
        default=False, description="Whether used items can be returned afterwards."
    )
    items_required: ItemsRequired = strawberry.field(
        default=ItemsRequired.NONE, description="Whether items must be selected first."
    )
    additional_information: list[AdditionalInformationInput] = strawberry.field(
        default_factory=list, description="Questions for the worker (≤ 15)."
    )
    article_items: list[ArticleItemInput] = strawberry.field(
        default_factory=list, description="Items the service needs (≤ 50)."
    )
    required_custom_service_refs: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Custom services that must be done first (chains ≤ 25 deep, no cycles).",
    )
    custom_attributes: JSONObject | None = strawberry.field(
        default=None,
        description="Free-form attributes: keys without '$' or '.', ≤ 15,360 characters.",
    )

    def to_fields(self) -> domain.CustomServiceFields:
        return domain.CustomServiceFields(
            name_localized=self.name_localized,
            status=domain.normalize_status(self.status.name),
            tenant_custom_service_id=self.tenant_custom_service_id,
            description_localized=self.description_localized,
            execution_time_in_min=self.execution_time_in_min,
            items_returnable=self.items_returnable,
            items_required=domain.ItemsRequired[self.items_required.name],
            additional_information=[i.to_draft() for i in self.additional_information],
            article_items=[i.to_value() for i in self.article_items],
            required_custom_service_ids=[str(i) for i in self.required_custom_service_refs],
            custom_attributes=self.custom_attributes,
        )


@strawberry.input(description="Changes to a custom service; fields left out stay as they are.")
class UpdateCustomServiceInput:
    id: strawberry.ID = strawberry.field(description="The custom service to change.")
    version: int = strawberry.field(description="The version last seen by the client.")
    name_localized: strawberry.Maybe[LocalizedText] = strawberry.field(
        default=None, description="New name, per locale (replaces the whole map)."
    )
    status: strawberry.Maybe[CustomServiceStatusInput] = strawberry.field(
        default=None, description="New status."
    )
    tenant_custom_service_id: strawberry.Maybe[str | None] = strawberry.field(
        default=None, description="New tenant id; null removes it."
    )
    description_localized: strawberry.Maybe[LocalizedText | None] = strawberry.field(
        default=None, description="New description (replaces the map); null removes it."
    )
    execution_time_in_min: strawberry.Maybe[int | None] = strawberry.field(
        default=None, description="New execution time in minutes; null removes it."
    )
    items_returnable: strawberry.Maybe[bool] = strawberry.field(
        default=None, description="Whether used items can be returned afterwards."
    )
    items_required: strawberry.Maybe[ItemsRequired] = strawberry.field(
        default=None, description="Whether items must be selected first."
    )
    article_items: strawberry.Maybe[list[ArticleItemInput]] = strawberry.field(
        default=None, description="New article items (replaces the list)."
    )
    required_custom_service_refs: strawberry.Maybe[list[strawberry.ID]] = strawberry.field(
        default=None, description="New prerequisites (replaces the list)."
    )
    custom_attributes: strawberry.Maybe[JSONObject | None] = strawberry.field(
        default=None, description="New attributes (replaces the object); null removes them."
    )

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as domain values keyed by CustomServiceFields names."""
        changes: dict[str, Any] = {}
        simple = (
            "name_localized", "tenant_custom_service_id", "description_localized",
            "execution_time_in_min", "items_returnable", "custom_attributes",
        )  # fmt: skip
        for name in simple:
            sent = getattr(self, name)
            if sent is not None:
                changes[name] = sent.value
        if self.status is not None:
            changes["status"] = domain.normalize_status(self.status.value.name)
        if self.items_required is not None:
            changes["items_required"] = domain.ItemsRequired[self.items_required.value.name]
        if self.article_items is not None:
            changes["article_items"] = [item.to_value() for item in self.article_items.value]
        if self.required_custom_service_refs is not None:
            changes["required_custom_service_ids"] = [
                str(i) for i in self.required_custom_service_refs.value
            ]
        return changes
