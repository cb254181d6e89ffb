"""Rules of custom services, the blueprints service jobs are made from (DOMAIN §1)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.domain.attributes import check_custom_attributes
from app.domain.errors import Problems
from app.domain.localized import check_localized

MAX_ADDITIONAL_INFORMATION = 15
MAX_ARTICLE_ITEMS = 50
#: Attributes of one article (key, value, category, priority each).
MAX_ARTICLE_ATTRIBUTES = 20
MAX_REQUIRED_SERVICES = 25
MAX_EXECUTION_TIME_IN_MIN = 60 * 24 * 365
MAX_REF_LENGTH = 255


class CustomServiceStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


#: Deprecated spellings accepted on input and stored as their current meaning.
STATUS_ALIASES: Mapping[str, CustomServiceStatus] = {
    "ACTIVE": CustomServiceStatus.ACTIVE,
    "INACTIVE": CustomServiceStatus.INACTIVE,
    "ENABLED": CustomServiceStatus.ACTIVE,
    "DISABLED": CustomServiceStatus.INACTIVE,
}


class ItemsRequired(enum.Enum):
    MANDATORY = "MANDATORY"
    NONE = "NONE"


class ValueType(enum.Enum):
    STRING = "STRING"
    BOOLEAN = "BOOLEAN"
    NUMBER = "NUMBER"
    NOVALUE = "NOVALUE"
    INPUT_MULTILINE_STRING = "INPUT_MULTILINE_STRING"


def normalize_status(value: str) -> CustomServiceStatus:
    """Map ENABLED/DISABLED to ACTIVE/INACTIVE; the GraphQL enum has refused anything else."""
    return STATUS_ALIASES[value]


@dataclass(frozen=True, slots=True)
class Article:
    tenant_article_id: str
    title: str | None = None
    image_url: str | None = None
    attributes: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleItem:
    """An item a service needs: an article and how many of it."""

    article: Article
    quantity: int


@dataclass(frozen=True, slots=True)
class AdditionalInformationDraft:
    """A question the worker answers when doing a job of this service."""

    name_localized: Mapping[str, str]
    value_type: ValueType
    description_localized: Mapping[str, str] | None = None
    is_mandatory: bool = False
    tenant_additional_information_id: str | None = None


@dataclass(slots=True)
class CustomServiceFields:
    """The writable fields of a custom service, already decoded from any transport."""

    name_localized: Mapping[str, str]
    status: CustomServiceStatus = CustomServiceStatus.ACTIVE
    tenant_custom_service_id: str | None = None
    description_localized: Mapping[str, str] | None = None
    execution_time_in_min: int | None = None
    items_returnable: bool = False
    items_required: ItemsRequired = ItemsRequired.NONE
    additional_information: Sequence[AdditionalInformationDraft] = ()
    article_items: Sequence[ArticleItem] = ()
    required_custom_service_ids: Sequence[str] = ()
    custom_attributes: Mapping[str, object] | None = field(default=None)


def check_execution_time(value: int | None, field_name: str, problems: Problems) -> None:
    if value is not None and not 0 <= value <= MAX_EXECUTION_TIME_IN_MIN:
        problems.invalid(
            f"executionTimeInMin must be between 0 and {MAX_EXECUTION_TIME_IN_MIN}.", field_name
        )


def check_ref(value: str | None, field_name: str, problems: Problems) -> None:
    if value is not None and not (len(value.strip()) > 0 and len(value) <= MAX_REF_LENGTH):
        problems.invalid(
            f"The reference must be 1 to {MAX_REF_LENGTH} characters long.", field_name
        )


def check_article(
    article: Article, where: str, problems: Problems, *, id_field: str | None = None
) -> None:
    """An article as a client gives it, at `where`: a tenant article id (reported at
    `id_field`, else at `where`) and at most MAX_ARTICLE_ATTRIBUTES attributes."""
    if not article.tenant_article_id.strip():
        problems.invalid("tenantArticleId must not be empty.", id_field or where)
    if len(article.attributes) > MAX_ARTICLE_ATTRIBUTES:
        problems.too_many(
            f"An article has at most {MAX_ARTICLE_ATTRIBUTES} attributes.", f"{where}.attributes"
        )


def check_article_items(items: Sequence[ArticleItem], field_name: str, problems: Problems) -> None:
    if len(items) > MAX_ARTICLE_ITEMS:
        problems.too_many(f"At most {MAX_ARTICLE_ITEMS} article items are allowed.", field_name)
    for index, item in enumerate(items):
        where = f"{field_name}.{index}"
        if item.quantity < 1:
            problems.invalid("quantity must be at least 1.", f"{where}.quantity")
        check_article(
            item.article, f"{where}.article", problems, id_field=f"{where}.tenantArticleId"
        )


def check_additional_information_item(
    item: AdditionalInformationDraft, field_name: str, problems: Problems
) -> None:
    check_localized(item.name_localized, f"{field_name}.nameLocalized", problems)
    if item.description_localized is not None:
        check_localized(item.description_localized, f"{field_name}.descriptionLocalized", problems)
    check_ref(
        item.tenant_additional_information_id,
        f"{field_name}.tenantAdditionalInformationId",
        problems,
    )


def check_additional_information(
    items: Sequence[AdditionalInformationDraft], field_name: str, problems: Problems
) -> None:
    if len(items) > MAX_ADDITIONAL_INFORMATION:
        problems.too_many(
            f"At most {MAX_ADDITIONAL_INFORMATION} additional information entries are allowed.",
            field_name,
        )
    for index, item in enumerate(items):
        check_additional_information_item(item, f"{field_name}.{index}", problems)
    check_unique_tenant_ids(
        [item.tenant_additional_information_id for item in items], field_name, problems
    )


def check_unique_tenant_ids(ids: Sequence[str | None], field_name: str, problems: Problems) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident is None:
            continue
        if ident in seen:
            problems.add_conflict(
                f"tenantAdditionalInformationId {ident!r} is used twice on this service.",
                field_name,
            )
        seen.add(ident)


def check_custom_service_fields(fields: CustomServiceFields, problems: Problems) -> None:
    """Every rule on the writable fields that needs no other data."""
    check_localized(fields.name_localized, "nameLocalized", problems)
    if fields.description_localized is not None:
        check_localized(fields.description_localized, "descriptionLocalized", problems)
    check_ref(fields.tenant_custom_service_id, "tenantCustomServiceId", problems)
    check_execution_time(fields.execution_time_in_min, "executionTimeInMin", problems)
    check_additional_information(fields.additional_information, "additionalInformation", problems)
    check_article_items(fields.article_items, "articleItems", problems)
    check_custom_attributes(fields.custom_attributes, "customAttributes", problems)
    if len(fields.required_custom_service_ids) > MAX_REQUIRED_SERVICES:
        problems.too_many(
            f"At most {MAX_REQUIRED_SERVICES} required custom services are allowed.",
            "requiredCustomServices",
        )
    if len(set(fields.required_custom_service_ids)) != len(fields.required_custom_service_ids):
        problems.invalid("A required custom service is listed twice.", "requiredCustomServices")
