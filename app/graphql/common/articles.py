"""Articles and article items, shared by custom services, line items and service data."""

from __future__ import annotations

from typing import Any

import strawberry

from app.domain.custom_services import MAX_ARTICLE_ATTRIBUTES
from app.domain.custom_services import Article as ArticleValue
from app.domain.custom_services import ArticleItem as ArticleItemValue
from app.graphql.common.build import build
from app.graphql.cost import bounded
from app.graphql.read_path.sources import json_or_attribute, reads


@strawberry.type(description="A descriptive attribute of an article.")
class ArticleAttribute:
    # The compiled walk may hand over the stored JSON object itself (see Article).
    key: str = strawberry.field(
        description="Name of the attribute.", metadata=reads(getter=json_or_attribute("key", "key"))
    )
    value: str = strawberry.field(
        description="Value of the attribute.",
        metadata=reads(getter=json_or_attribute("value", "value")),
    )
    category: str | None = strawberry.field(
        description="Optional grouping of attributes.",
        metadata=reads(getter=json_or_attribute("category", "category")),
    )
    priority: int | None = strawberry.field(
        description="Display order; lower comes first.",
        metadata=reads(getter=json_or_attribute("priority", "priority")),
    )


@strawberry.type(description="A product as the tenant knows it.")
class Article:
    # The compiled walk hands over a line item's stored article (its JSON object) as the
    # Article: each field reads it from there, or from the object graphql-core gets.
    tenant_article_id: str = strawberry.field(
        description="The tenant's own article id.",
        metadata=reads(getter=json_or_attribute("tenantArticleId", "tenant_article_id")),
    )
    title: str | None = strawberry.field(
        description="Display title.", metadata=reads(getter=json_or_attribute("title", "title"))
    )
    image_url: str | None = strawberry.field(
        description="Address of an image of the article.",
        metadata=reads(getter=json_or_attribute("imageUrl", "image_url")),
    )
    attributes: list[ArticleAttribute] = strawberry.field(
        description="Further attributes.",
        metadata=reads(getter=json_or_attribute("attributes", "attributes", default=[]))
        | bounded(MAX_ARTICLE_ATTRIBUTES),
    )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Article:
        attributes = data.get("attributes")
        return build(
            cls,
            tenant_article_id=data["tenantArticleId"],
            title=data.get("title"),
            image_url=data.get("imageUrl"),
            attributes=[
                ArticleAttribute(
                    key=a["key"],
                    value=a["value"],
                    category=a.get("category"),
                    priority=a.get("priority"),
                )
                for a in attributes
            ]
            if attributes
            else [],
        )


@strawberry.type(description="An article and how many of it are needed.")
class ArticleItem:
    article: Article = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many (at least 1).")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleItem:
        return cls(article=Article.from_json(data["article"]), quantity=int(data["quantity"]))


@strawberry.input(description="A descriptive attribute of an article.")
class ArticleAttributeInput:
    key: str = strawberry.field(description="Name of the attribute.")
    value: str = strawberry.field(description="Value of the attribute.")
    category: str | None = strawberry.field(default=None, description="Optional grouping.")
    priority: int | None = strawberry.field(default=None, description="Display order.")


@strawberry.input(description="A product as the tenant knows it.")
class ArticleInput:
    tenant_article_id: str = strawberry.field(description="The tenant's own article id.")
    title: str | None = strawberry.field(default=None, description="Display title.")
    image_url: str | None = strawberry.field(default=None, description="Address of an image.")
    attributes: list[ArticleAttributeInput] = strawberry.field(
        default_factory=list, description="Further attributes."
    )

    def to_value(self) -> ArticleValue:
        return ArticleValue(
            tenant_article_id=self.tenant_article_id,
            title=self.title,
            image_url=self.image_url,
            attributes=tuple(
                {k: v for k, v in vars(a).items() if v is not None} for a in self.attributes
            ),
        )


@strawberry.input(description="An article and how many of it are needed.")
class ArticleItemInput:
    article: ArticleInput = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many (at least 1).")

    def to_value(self) -> ArticleItemValue:
        return ArticleItemValue(article=self.article.to_value(), quantity=self.quantity)
