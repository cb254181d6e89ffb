"""Orders: nested custom services become one linked service jobs tree (DOMAIN §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.db import tables
from app.db.engine import SessionFactory
from app.domain.access import Viewer
from app.domain.custom_services import check_ref
from app.domain.errors import Problems, conflict, not_found
from app.domain.job_status import JobStatus
from app.domain.orders import OrderItem, carried, check_job_supplied, check_order, plan_jobs
from app.domain.service_data import check_mandatory_items, needs_items
from app.domain.service_jobs import (
    LineItemDraft,
    NewServiceJob,
    check_line_items,
    check_marketplace,
    check_timezone,
)
from app.repositories.service_data import ServiceDataRepository
from app.repositories.service_jobs import ServiceJobRepository
from app.services import transaction
from app.services.serialization import article_to_json
from app.services.service_jobs import job_row, new_id, usable_service


@dataclass(slots=True)
class NewOrder:
    tenant_order_id: str
    facility_ref: str
    target_time: datetime
    items: Sequence[OrderItem]
    marketplace_id: str | None = None
    service_type: str | None = None
    line_items: Sequence[LineItemDraft] = ()


async def create_order(
    db: SessionFactory, viewer: Viewer, order: NewOrder, max_jobs_per_tree: int
) -> tables.ServiceOrder:
    problems = Problems()
    check_ref(order.tenant_order_id, "tenantOrderId", problems)
    check_ref(order.facility_ref, "facilityId", problems)
    check_marketplace(order.marketplace_id, "marketplaceId", problems)
    check_order(order.items, "customServices", problems)
    check_line_items(order.line_items, "lineItems", problems)
    check_timezone(order.target_time, "targetTime", problems)
    problems.raise_if_any()
    if not viewer.sees_facility(order.facility_ref):
        raise not_found("Facility", order.facility_ref, "facilityId")
    planned = plan_jobs(order.items)
    if len(planned) > max_jobs_per_tree:
        problems.too_many(
            f"A tree holds at most {max_jobs_per_tree} service jobs.", "customServices"
        )
        problems.raise_if_any()

    async with transaction(db) as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        if await repo.order(order.tenant_order_id) is not None:
            raise conflict(
                f"Order id {order.tenant_order_id!r} is already taken in this tenant.",
                "tenantOrderId",
            )
        row = tables.ServiceOrder(
            id=new_id(),
            tenant=viewer.tenant,
            tenant_order_id=order.tenant_order_id,
            facility_ref=order.facility_ref,
            target_time=order.target_time,
            marketplace_id=order.marketplace_id,
            service_type=order.service_type,
        )
        tree = tables.LinkedServiceJobs(
            id=new_id(),
            tenant=viewer.tenant,
            process_ref=new_id(),
            facility_ref=order.facility_ref,
            target_time=order.target_time,
            tenant_order_id=order.tenant_order_id,
        )
        await repo.add([row, tree])
        data = ServiceDataRepository(session, viewer.tenant)
        data_id = new_id()
        await data.create(tree.id, data_id)
        await data.add_items(
            data_id,
            [
                (draft.id or new_id(), article_to_json(draft.article), draft.quantity)
                for draft in order.line_items
            ],
        )

        supplied = carried(
            [(draft.article.tenant_article_id, draft.quantity) for draft in order.line_items]
        )
        link_of_path: dict[tuple[int, ...], str] = {}
        has_children = {p.parent for p in planned if p.parent is not None}
        jobs: list[tables.ServiceJob] = []
        links: list[tables.ServiceJobLink] = []
        for position, plan in enumerate(planned):
            where = "customServices." + ".customServiceItems.".join(map(str, plan.path))
            service, connection, questions = await usable_service(
                session,
                viewer.tenant,
                order.facility_ref,
                plan.item.custom_service_ref,
                plan.item.tenant_custom_service_id,
                f"{where}.customServiceDefinition",
            )
            job = job_row(
                tenant=viewer.tenant,
                tree_id=tree.id,
                service=service,
                connection=connection,
                questions=questions,
                job=NewServiceJob(
                    facility_ref=order.facility_ref,
                    target_time=order.target_time,
                    tenant_order_id=order.tenant_order_id,
                    marketplace_id=order.marketplace_id,
                    service_type=order.service_type,
                ),
                process_ref=tree.process_ref,
                status=JobStatus.NOT_READY if plan.path in has_children else JobStatus.OPEN,
                values={},
                required_line_items=[
                    *(dict(item) for item in service.article_items or ()),
                    *(
                        {
                            "article": {"tenantArticleId": a.tenant_article_ref},
                            "quantity": a.quantity,
                        }
                        for a in plan.required_articles
                    ),
                ],
            )
            check_mandatory_items(
                job.items_required, job.required_line_items, f"{where}.customServiceDefinition"
            )
            if needs_items(job.items_required, job.required_line_items):
                check_job_supplied(job.required_line_items, supplied, where, problems)
            link_of_path[plan.path] = new_id()
            jobs.append(job)
            links.append(
                tables.ServiceJobLink(
                    id=link_of_path[plan.path],
                    tenant=viewer.tenant,
                    linked_service_jobs_id=tree.id,
                    service_job_id=job.id,
                    parent_link_id=link_of_path[plan.parent] if plan.parent else None,
                    position=position,
                )
            )
        problems.raise_if_any()
        await repo.add(jobs)
        await repo.add(links)
        return row
