"""Loading a JSON document of sample data (the `fixtures/` format, and the benchmark's trees).

Custom services and facility connections go through their use cases, so they obey the same
rules as data created through the API. Trees, which come by the thousand jobs with the ids the
document gives, are bulk-loaded instead: each tree's shape is checked by the domain's tree rules
and each job's statuses settled by its item rules first, then the rows go in with multi-row
inserts in one transaction (creating them one use case call at a time takes minutes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import insert, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.core import execute_core
from app.db.engine import SessionFactory
from app.domain import custom_services as domain
from app.domain import trees as trees_rules
from app.domain.access import Viewer
from app.domain.job_status import TERMINAL, JobStatus
from app.domain.service_data import Held, ServiceItem, executed, item_sub_status
from app.domain.service_jobs import LineItemDraft, NewServiceJob
from app.repositories.custom_services import CustomServiceRepository
from app.services import custom_services, facility_connections, transaction
from app.services.service_jobs import (
    UsableService,
    job_row,
    line_item_rows,
    new_id,
    usable_service,
)


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


class LineItemDoc(_Model):
    id: str
    article: ArticleDoc
    quantity: int


class ServiceJobDoc(_Model):
    id: str
    status: JobStatus
    facility_ref: str
    target_time: datetime
    name: str | None = None
    name_localized: dict[str, str] | None = None
    custom_service_ref: str | None = None
    line_items: list[LineItemDoc] = Field(default_factory=list)


class LinkDoc(_Model):
    id: str
    parent_link_id: str | None
    service_job: ServiceJobDoc


class TreeDoc(_Model):
    id: str
    facility_ref: str
    name: str | None = None
    process_ref: str | None = None
    tenant_order_id: str | None = None
    links: list[LinkDoc]


class SeedDocument(_Model):
    """The whole file. `description` is for people reading it."""

    description: str | None = None
    custom_services: list[CustomServiceDoc] = Field(default_factory=list)
    facility_connections: list[FacilityConnectionDoc] = Field(default_factory=list)
    trees: list[TreeDoc] = Field(default_factory=list)


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
    if doc.trees:
        await seed_trees(db, viewer, doc.trees)
    return {
        "customServices": len(doc.custom_services),
        "facilityConnections": len(doc.facility_connections),
        "trees": len(doc.trees),
        "serviceJobs": sum(len(t.links) for t in doc.trees),
    }


BENCHMARK_SERVICE = "Benchmark service"
#: Rows per multi-row insert: bounded memory, few round trips.
INSERT_CHUNK = 2000


def _benchmark_ref(facility_ref: str) -> str:
    return f"benchmark-service-{facility_ref}"


async def _ensure_benchmark_services(
    db: SessionFactory, viewer: Viewer, facility_refs: set[str]
) -> None:
    """Each facility whose jobs name no service gets a "Benchmark service" (ACTIVE, with an
    ACTIVE connection) once, through the use cases, as in the benchmark's trees.json."""
    for facility_ref in sorted(facility_refs):
        tenant_ref = _benchmark_ref(facility_ref)
        async with transaction(db) as session:
            known = await CustomServiceRepository(session, viewer.tenant).get_by_tenant_ref(
                tenant_ref
            )
        if known is not None:
            continue
        service = await custom_services.create_custom_service(
            db,
            viewer,
            domain.CustomServiceFields(
                name_localized={"en_US": BENCHMARK_SERVICE},
                tenant_custom_service_id=tenant_ref,
                status=domain.CustomServiceStatus.ACTIVE,
            ),
        )
        await facility_connections.create_connection(
            db,
            viewer,
            facility_ref=facility_ref,
            custom_service_id=service.id,
            status=domain.CustomServiceStatus.ACTIVE,
            execution_time_in_min=None,
        )


async def _service_for(
    session: AsyncSession, viewer: Viewer, facility_ref: str, ref: str | None
) -> UsableService:
    """The job's own service, or its facility's benchmark service when it names none."""
    if ref is not None:
        return await usable_service(session, viewer.tenant, facility_ref, ref, None, "trees")
    return await usable_service(
        session, viewer.tenant, facility_ref, None, _benchmark_ref(facility_ref), "trees"
    )


async def seed_trees(db: SessionFactory, viewer: Viewer, trees: list[TreeDoc]) -> None:
    """Bulk-load whole trees with their ids, in one transaction: each tree's shape is checked
    by the domain rules first, then rows go in with multi-row inserts per table."""
    shapes = {
        tree.id: trees_rules.check_shape(
            [trees_rules.Link(k.id, k.service_job.id, k.parent_link_id) for k in tree.links]
        )
        for tree in trees
    }
    await _ensure_benchmark_services(
        db,
        viewer,
        {
            link.service_job.facility_ref
            for tree in trees
            for link in tree.links
            if link.service_job.custom_service_ref is None
        },
    )
    async with transaction(db) as session:
        services: dict[tuple[str, str | None], UsableService] = {}
        rows: dict[Any, list[dict[str, Any]]] = {
            tables.LinkedServiceJobs: [],
            tables.ServiceJob: [],
            tables.ServiceJobLink: [],
            tables.LineItem: [],
            tables.ServiceData: [],
            tables.ServiceDataItem: [],
            tables.ServiceDataUsage: [],
        }
        for tree in trees:
            process_ref = tree.process_ref or new_id()
            rows[tables.LinkedServiceJobs].append(
                _row(
                    tables.LinkedServiceJobs(
                        id=tree.id,
                        tenant=viewer.tenant,
                        process_ref=process_ref,
                        facility_ref=tree.facility_ref,
                        target_time=tree.links[0].service_job.target_time,
                        tenant_order_id=tree.tenant_order_id,
                    )
                )
            )
            data_id = new_id()
            rows[tables.ServiceData].append(
                _row(
                    tables.ServiceData(
                        id=data_id, tenant=viewer.tenant, linked_service_jobs_id=tree.id
                    )
                )
            )
            for position, link in enumerate(tree.links):
                doc = link.service_job
                key = (doc.facility_ref, doc.custom_service_ref)
                if key not in services:
                    services[key] = await _service_for(session, viewer, *key)
                service, connection, questions = services[key]
                job = job_row(
                    tenant=viewer.tenant,
                    tree_id=tree.id,
                    service=service,
                    connection=connection,
                    questions=questions,
                    job=NewServiceJob(
                        facility_ref=doc.facility_ref,
                        target_time=doc.target_time,
                        tenant_order_id=tree.tenant_order_id,
                    ),
                    process_ref=process_ref,
                    status=doc.status,
                    values={},
                )
                job.id = doc.id
                if doc.name_localized or doc.name:
                    job.name_localized = doc.name_localized or {"en_US": doc.name or ""}
                rows[tables.ServiceJob].append(_row(job))
                rows[tables.ServiceJobLink].append(
                    _row(
                        tables.ServiceJobLink(
                            id=link.id,
                            tenant=viewer.tenant,
                            linked_service_jobs_id=tree.id,
                            service_job_id=doc.id,
                            parent_link_id=link.parent_link_id,
                            position=position,
                        )
                    )
                )
                drafts = [
                    LineItemDraft(
                        id=item.id,
                        article=domain.Article(
                            item.article.tenant_article_id,
                            item.article.title,
                            item.article.image_url,
                            tuple(item.article.attributes),
                        ),
                        quantity=item.quantity,
                    )
                    for item in doc.line_items
                ]
                line_items = line_item_rows(viewer.tenant, job, drafts)
                rows[tables.LineItem] += [_row(r) for r in line_items]
                rows[tables.ServiceDataItem] += [
                    {
                        "id": item.id,
                        "tenant": viewer.tenant,
                        "service_data_id": data_id,
                        "position": len(rows[tables.ServiceDataItem]) + offset,
                        "article": item.article,
                        "quantity": item.quantity,
                    }
                    for offset, item in enumerate(line_items)
                ]
            tree_jobs = rows[tables.ServiceJob][-len(tree.links) :]
            tree_items = rows[tables.LineItem][
                len(rows[tables.LineItem])
                - sum(len(k.service_job.line_items) for k in tree.links) :
            ]
            rows[tables.ServiceDataUsage] += _settle_seeded(shapes[tree.id], tree_jobs, tree_items)
        for table, values in rows.items():
            for start in range(0, len(values), INSERT_CHUNK):
                await execute_core(session, insert(table), values[start : start + INSERT_CHUNK])
        if session.get_bind().dialect.name == "postgresql":
            # Fresh statistics, so the planner picks index plans for the tree reads right away
            # instead of waiting for autovacuum to notice the bulk load.
            for table in rows:
                await execute_core(session, text(f"ANALYZE {table.__tablename__}"))


def _settle_seeded(
    shape: trees_rules.TreeShape, jobs: list[dict[str, Any]], line_items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Seeded jobs hold their own line items (DOMAIN §6): they pass on to the jobs above, so
    a job whose items are all there is not waiting for them. Returns the usage rows."""
    items = {
        li["id"]: ServiceItem(
            li["id"],
            li["article"]["tenantArticleId"],
            li["quantity"],
            held=(Held(li["service_job_id"], created=li["quantity"]),),
        )
        for li in line_items
    }
    returnable = {job["id"]: job["items_returnable"] for job in jobs}
    status = {job["id"]: JobStatus(job["status"]) for job in jobs}
    for job in jobs:
        if job["sub_status"] is None:
            continue
        sub = item_sub_status(shape, items.values(), job["id"], job["required_line_items"])
        job["sub_status"] = sub
        prerequisites = shape.children.get(shape.link_of_job[job["id"]], [])
        ended = all(status[shape.links[p].job_id] in TERMINAL for p in prerequisites)
        if sub is None and ended and job["status"] == JobStatus.NOT_READY.value:
            job["status"] = JobStatus.OPEN.value
    return [
        {
            "service_data_item_id": item.id,
            "service_job_id": usage.job_id,
            "tenant": line_items[0]["tenant"],
            "sequence": usage.sequence,
            "applied_quantity": usage.applied_quantity,
            "items_returnable": usage.items_returnable,
        }
        for item in items.values()
        for usage in executed(shape, item, returnable)
    ]


def _row(model: Any) -> dict[str, Any]:
    return {column.name: getattr(model, column.name) for column in model.__table__.columns}


async def is_empty(db: SessionFactory) -> bool:
    async with db() as session:
        result = await session.exec(select(col(tables.CustomService.id)).limit(1))
        return result.first() is None
