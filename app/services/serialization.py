"""Converting between stored JSON/rows and the domain's value objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.db import tables
from app.domain.custom_services import (
    AdditionalInformationDraft,
    Article,
    ArticleItem,
    CustomServiceFields,
    CustomServiceStatus,
    ItemsRequired,
)


def article_to_json(article: Article) -> dict[str, Any]:
    data: dict[str, Any] = {"tenantArticleId": article.tenant_article_id}
    if article.title is not None:
        data["title"] = article.title
    if article.image_url is not None:
        data["imageUrl"] = article.image_url
    if article.attributes:
        data["attributes"] = [dict(a) for a in article.attributes]
    return data


def article_from_json(data: dict[str, Any]) -> Article:
    return Article(
        tenant_article_id=data["tenantArticleId"],
        title=data.get("title"),
        image_url=data.get("imageUrl"),
        attributes=tuple(data.get("attributes") or ()),
    )


def article_items_to_json(items: Sequence[ArticleItem]) -> list[dict[str, Any]]:
    return [{"article": article_to_json(i.article), "quantity": i.quantity} for i in items]


def article_items_from_json(data: Sequence[dict[str, Any]]) -> list[ArticleItem]:
    return [ArticleItem(article_from_json(i["article"]), int(i["quantity"])) for i in data]


def fields_from_row(
    row: tables.CustomService,
    required_ids: Sequence[str],
    additional_information: Sequence[AdditionalInformationDraft],
) -> CustomServiceFields:
    return CustomServiceFields(
        name_localized=row.name_localized,
        status=CustomServiceStatus(row.status),
        tenant_custom_service_id=row.tenant_custom_service_id,
        description_localized=row.description_localized,
        execution_time_in_min=row.execution_time_in_min,
        items_returnable=row.items_returnable,
        items_required=ItemsRequired(row.items_required),
        additional_information=additional_information,
        article_items=article_items_from_json(row.article_items or []),
        required_custom_service_ids=list(required_ids),
        custom_attributes=row.custom_attributes,
    )
