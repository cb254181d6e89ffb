"""Loading a JSON document of sample data (the `fixtures/` format) through the use cases, so
sample data obeys the same rules as data created through the API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlmodel import col, select

from app.db import tables
from app.db.engine import SessionFactory
from app.domain import custom_services as domain
from app.domain.access import Viewer
from app.services import custom_services, facility_connections


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ArticleDoc(_Model):
    tenant_article_id: str
    title: str | None = None
    image_url: str | None = None
    attributes: list[dict[str, Any]] = Field(default_factory=list)


class ArticleItemDoc(_Model):
    article: ArticleDoc
    quantity: int


class AdditionalInformationDoc(_Model):
    name_localized: dict[str, str]
    value_type: domain.ValueType
    description_localized: dict[str, str] | None = None
    is_mandatory: bool = False
    tenant_additional_information_id: str | None = None


class CustomServiceDoc(_Model):
    id: str
    name_localized: dict[str, str]
    status: str = "ACTIVE"
    tenant_custom_service_id: str | None = None
    description_localized: dict[str, str] | None = None
    execution_time_in_min: int | None = None
    items_returnable: bool = False
    items_required: domain.ItemsRequired = domain.ItemsRequired.NONE
    additional_information: list[AdditionalInformationDoc] = Field(default_factory=list)
    article_items: list[ArticleItemDoc] = Field(default_factory=list)
    required_custom_service_refs: list[str] = Field(default_factory=list)
    custom_attributes: dict[str, Any] | None = None

    def to_fields(self) -> domain.CustomServiceFields:
        return domain.CustomServiceFields(
            name_localized=self.name_localized,
            status=domain.normalize_status(self.status),
            tenant_custom_service_id=self.tenant_custom_service_id,
            description_localized=self.description_localized,
            execution_time_in_min=self.execution_time_in_min,
            items_returnable=self.items_returnable,
            items_required=self.items_required,
            additional_information=[
                domain.AdditionalInformationDraft(**ai.model_dump())
                for ai in self.additional_information
            ],
            article_items=[
                domain.ArticleItem(
                    domain.Article(
                        tenant_article_id=i.article.tenant_article_id,
                        title=i.article.title,
                        image_url=i.article.image_url,
                        attributes=tuple(i.article.attributes),
                    ),
                    i.quantity,
                )
                for i in self.article_items
            ],
            required_custom_service_ids=self.required_custom_service_refs,
            custom_attributes=self.custom_attributes,
        )


class FacilityConnectionDoc(_Model):
    id: str
    facility_ref: str
    custom_service_ref: str
    status: domain.CustomServiceStatus = domain.CustomServiceStatus.ACTIVE
    execution_time_in_min: int | None = None


class SeedDocument(_Model):
    """The whole file. `description` is for people reading it."""

    description: str | None = None
    custom_services: list[CustomServiceDoc] = Field(default_factory=list)
    facility_connections: list[FacilityConnectionDoc] = Field(default_factory=list)


async def seed(db: SessionFactory, tenant: str, document: dict[str, Any]) -> dict[str, int]:
    """Load the document into `tenant`, keeping its ids. Returns what was created, by kind."""
    doc = SeedDocument.model_validate(document)
    viewer = Viewer(subject="seed", tenant=tenant)
    for service in doc.custom_services:
        await custom_services.create_custom_service(
            db, viewer, service.to_fields(), ident=service.id
        )
    for connection in doc.facility_connections:
        await facility_connections.create_connection(
            db,
            viewer,
            facility_ref=connection.facility_ref,
            custom_service_id=connection.custom_service_ref,
            status=connection.status,
            execution_time_in_min=connection.execution_time_in_min,
            ident=connection.id,
        )
    return {
        "customServices": len(doc.custom_services),
        "facilityConnections": len(doc.facility_connections),
    }


async def is_empty(db: SessionFactory) -> bool:
    async with db() as session:
        result = await session.exec(select(col(tables.CustomService.id)).limit(1))
        return result.first() is None
