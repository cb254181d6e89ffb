"""Output types of custom services."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.db import tables
from app.domain.custom_services import (
    MAX_ADDITIONAL_INFORMATION,
    MAX_ARTICLE_ITEMS,
    MAX_REQUIRED_SERVICES,
)
from app.domain.localized import resolve_text
from app.graphql.common.articles import ArticleItem
from app.graphql.common.scalars import JSONObject, LocalizedText
from app.graphql.context import Context
from app.graphql.cost import bounded
from app.graphql.custom_services.enums import (
    AdditionalInformationValueType,
    CustomServiceStatus,
    ItemsRequired,
    Locale,
)

LocaleArg = Annotated[
    Locale | None,
    strawberry.argument(
        description="Locale to use; default: Accept-Language, the tenant's default, en_US."
    ),
]


def _maybe_localized(text: dict[str, str] | None) -> LocalizedText | None:
    return LocalizedText(text) if text is not None else None


def localized(
    info: strawberry.Info[Context, None], text: dict[str, str] | None, locale: Locale | None
) -> str | None:
    preferred = info.context.preferred_locales
    if locale is not None:
        preferred = (locale.name, *preferred)
    return resolve_text(text, preferred)


@strawberry.type(description="A question a worker answers when doing a job of the service.")
class AdditionalInformation:
    id: strawberry.ID = strawberry.field(description="Id of the additional information.")
    tenant_additional_information_id: str | None = strawberry.field(
        description="The tenant's own id, unique within the custom service. A job's answer "
        "names the question with this value as `tenantAdditionalInformationRef`."
    )
    name_localized: LocalizedText = strawberry.field(description="The question, per locale.")
    description_localized: LocalizedText | None = strawberry.field(
        description="Help text, per locale."
    )
    value_type: AdditionalInformationValueType = strawberry.field(
        description="What kind of answer is expected."
    )
    is_mandatory: bool = strawberry.field(description="A job cannot finish without an answer.")

    @strawberry.field(description="The question in the caller's locale.")
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(description="The help text in the caller's locale.")
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)

    @classmethod
    def from_row(cls, row: tables.CustomServiceAdditionalInformation) -> AdditionalInformation:
        return cls(
            id=strawberry.ID(row.id),
            tenant_additional_information_id=row.tenant_additional_information_id,
            name_localized=LocalizedText(row.name_localized),
            description_localized=_maybe_localized(row.description_localized),
            value_type=AdditionalInformationValueType[row.value_type],
            is_mandatory=row.is_mandatory,
        )


@strawberry.type(description="A service offered by the tenant: the blueprint of service jobs.")
class CustomService:
    id: strawberry.ID = strawberry.field(description="Id of the custom service.")
    tenant_custom_service_id: str | None = strawberry.field(
        description="The tenant's own id, unique per tenant."
    )
    status: CustomServiceStatus = strawberry.field(description="ACTIVE or INACTIVE.")
    name_localized: LocalizedText = strawberry.field(description="The name, per locale.")
    description_localized: LocalizedText | None = strawberry.field(
        description="The description, per locale."
    )
    execution_time_in_min: int | None = strawberry.field(
        description="How long a job takes, in minutes (a facility connection may override it)."
    )
    items_returnable: bool = strawberry.field(
        description="Whether items used by the service can be returned afterwards."
    )
    items_required: ItemsRequired = strawberry.field(
        description="Whether items must be selected before a job starts."
    )
    article_items: list[ArticleItem] = strawberry.field(
        description="Items the service needs; they become a job's requiredLineItems.",
        metadata=bounded(MAX_ARTICLE_ITEMS),
    )
    custom_attributes: JSONObject | None = strawberry.field(
        description="Free-form attributes of the tenant."
    )
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")
    version: int = strawberry.field(
        description="Optimistic-locking version; send it with every change."
    )

    @strawberry.field(description="The name in the caller's locale.")
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(description="The description in the caller's locale.")
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)

    @strawberry.field(
        description="Questions a worker answers on jobs of this service (≤ 15).",
        metadata=bounded(MAX_ADDITIONAL_INFORMATION),
    )
    async def additional_information(
        self, info: strawberry.Info[Context, None]
    ) -> list[AdditionalInformation]:
        rows = await info.context.loaders.additional_information_by_service_id.load(self.id)
        return [AdditionalInformation.from_row(row) for row in rows]

    @strawberry.field(
        description="Ids of the custom services that must be done before this one.",
        metadata=bounded(MAX_REQUIRED_SERVICES),
    )
    async def required_custom_service_refs(
        self, info: strawberry.Info[Context, None]
    ) -> list[strawberry.ID]:
        ids = await info.context.loaders.required_service_ids_by_service_id.load(self.id)
        return [strawberry.ID(i) for i in ids]

    @strawberry.field(
        description="The custom services that must be done before this one.",
        metadata=bounded(MAX_REQUIRED_SERVICES),
    )
    async def required_custom_services(
        self, info: strawberry.Info[Context, None]
    ) -> list[CustomService]:
        loaders = info.context.loaders
        ids = await loaders.required_service_ids_by_service_id.load(self.id)
        rows = await loaders.custom_service_by_id.load_many(ids)
        return [CustomService.from_row(row) for row in rows if row is not None]

    @classmethod
    def from_row(cls, row: tables.CustomService) -> CustomService:
        return cls(
            id=strawberry.ID(row.id),
            tenant_custom_service_id=row.tenant_custom_service_id,
            status=CustomServiceStatus[row.status],
            name_localized=LocalizedText(row.name_localized),
            description_localized=_maybe_localized(row.description_localized),
            execution_time_in_min=row.execution_time_in_min,
            items_returnable=row.items_returnable,
            items_required=ItemsRequired[row.items_required],
            article_items=[ArticleItem.from_json(item) for item in row.article_items or ()],
            custom_attributes=(
                JSONObject(row.custom_attributes) if row.custom_attributes is not None else None
            ),
            created=row.created,
            last_modified=row.last_modified,
            version=row.version,
        )
