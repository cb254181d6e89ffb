"""Output types of custom services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Annotated, Any

import strawberry

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
from app.graphql.read_path.relations import attach, distinct, listed
from app.graphql.read_path.sources import localized_text, reads, row_value
from app.repositories.custom_service_reads import (
    questions_of_services,
    requirements_of_services,
    services_by_id,
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


def _service_id(service: CustomService) -> str:
    return str(service.id)


def _questions(rows: Any) -> list[AdditionalInformation]:
    return [AdditionalInformation.from_row(row) for row in listed(rows)]


class QuestionsOfServices:
    """`CustomService.additionalInformation` of every service of a level, in one statement."""

    async def fetch(self, context: Context, parents: Sequence[Any]) -> Sequence[Any]:
        await attach(context, parents, "_questions", _service_id, questions_of_services, _questions)
        return [question for service in parents for question in service._questions]


async def _attach_required_ids(context: Context, services: Sequence[CustomService]) -> None:
    await attach(context, services, "_required_ids", _service_id, requirements_of_services, listed)


class RequirementsOfServices:
    """`CustomService.requiredCustomServiceRefs` of every service of a level, in one
    statement."""

    async def fetch(self, context: Context, parents: Sequence[Any]) -> Sequence[Any]:
        await _attach_required_ids(context, parents)
        return ()


class RequiredServicesOfServices:
    """`CustomService.requiredCustomServices` of every service of a level: their ids (unless
    read already) and then the services, one statement each."""

    async def fetch(self, context: Context, parents: Sequence[Any]) -> Sequence[Any]:
        await _attach_required_ids(context, parents)
        missing = [service for service in parents if service._required is None]
        if missing:
            wanted = distinct(i for s in missing for i in s._required_ids)
            rows = {}
            if wanted:
                async with context.read_connection() as connection:
                    rows = await services_by_id(connection, context.viewer.tenant, wanted)
            for service in missing:
                service._required = [
                    CustomService.from_row(rows[i]) for i in service._required_ids if i in rows
                ]
        return [required for service in parents for required in service._required]


QUESTIONS_OF_SERVICES = QuestionsOfServices()
REQUIREMENTS_OF_SERVICES = RequirementsOfServices()
REQUIRED_SERVICES_OF_SERVICES = RequiredServicesOfServices()


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

    @strawberry.field(
        description="The question in the caller's locale.",
        metadata=reads(getter=localized_text("name_localized", required=True)),
    )
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(
        description="The help text in the caller's locale.",
        metadata=reads(getter=localized_text("description_localized")),
    )
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)

    @classmethod
    def from_row(cls, row: Any) -> AdditionalInformation:
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
    #: Attached by the read path's relations (None: not fetched).
    _questions: strawberry.Private[list[AdditionalInformation] | None]
    _required_ids: strawberry.Private[list[str] | None]
    _required: strawberry.Private[list[CustomService] | None]

    @strawberry.field(
        description="The name in the caller's locale.",
        metadata=reads(getter=localized_text("name_localized", required=True)),
    )
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(
        description="The description in the caller's locale.",
        metadata=reads(getter=localized_text("description_localized")),
    )
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)

    @strawberry.field(
        description="Questions a worker answers on jobs of this service (≤ 15).",
        metadata=bounded(MAX_ADDITIONAL_INFORMATION)
        | reads(getter=row_value(attrgetter("_questions")), relation=QUESTIONS_OF_SERVICES),
    )
    async def additional_information(
        self, info: strawberry.Info[Context, None]
    ) -> list[AdditionalInformation]:
        rows = await info.context.loaders.additional_information_by_service_id.load(self.id)
        return [AdditionalInformation.from_row(row) for row in rows]

    @strawberry.field(
        description="Ids of the custom services that must be done before this one.",
        metadata=bounded(MAX_REQUIRED_SERVICES)
        | reads(getter=row_value(attrgetter("_required_ids")), relation=REQUIREMENTS_OF_SERVICES),
    )
    async def required_custom_service_refs(
        self, info: strawberry.Info[Context, None]
    ) -> list[strawberry.ID]:
        ids = await info.context.loaders.required_service_ids_by_service_id.load(self.id)
        return [strawberry.ID(i) for i in ids]

    @strawberry.field(
        description="The custom services that must be done before this one.",
        metadata=bounded(MAX_REQUIRED_SERVICES)
        | reads(getter=row_value(attrgetter("_required")), relation=REQUIRED_SERVICES_OF_SERVICES),
    )
    async def required_custom_services(
        self, info: strawberry.Info[Context, None]
    ) -> list[CustomService]:
        loaders = info.context.loaders
        ids = await loaders.required_service_ids_by_service_id.load(self.id)
        rows = await loaders.custom_service_by_id.load_many(ids)
        return [CustomService.from_row(row) for row in rows if row is not None]

    @classmethod
    def from_row(cls, row: Any) -> CustomService:
        """From an ORM row or a read path row of the custom_service table."""
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
            _questions=None,
            _required_ids=None,
            _required=None,
        )
