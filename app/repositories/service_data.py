"""Service data: a tree's items and who uses them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.types import utcnow
from app.domain.service_data import ServiceItem, Usage
from app.repositories import execute_core

SD = tables.ServiceData
ITEM = tables.ServiceDataItem
USE = tables.ServiceDataUsage


@dataclass(slots=True)
class ServiceDataState:
    """A tree's service data with its items (article kept as stored) and their usages."""

    id: str
    linked_service_jobs_id: str
    version: int
    created: Any
    last_modified: Any
    items: dict[str, ServiceItem] = field(default_factory=dict)
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)


class ServiceDataRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    async def create(self, tree_id: str, ident: str) -> None:
        self.session.add(SD(id=ident, tenant=self.tenant, linked_service_jobs_id=tree_id))
        await self.session.flush()

    async def id_for_tree(self, tree_id: str) -> str:
        result = await self.session.exec(
            model_select(col(SD.id)).where(
                SD.linked_service_jobs_id == tree_id, SD.tenant == self.tenant
            )
        )
        return result.one()

    async def add_items(
        self, service_data_id: str, items: Sequence[tuple[str, dict[str, Any], int]]
    ) -> None:
        """Append (id, article, quantity) items after the ones already there."""
        if not items:
            return
        start = (
            await execute_core(
                self.session,
                select(func.coalesce(func.max(ITEM.position), -1)).where(
                    col(ITEM.service_data_id) == service_data_id
                ),
            )
        ).scalar_one() + 1
        await execute_core(
            self.session,
            insert(ITEM),
            [
                {
                    "id": ident,
                    "tenant": self.tenant,
                    "service_data_id": service_data_id,
                    "position": start + offset,
                    "article": article,
                    "quantity": quantity,
                }
                for offset, (ident, article, quantity) in enumerate(items)
            ],
        )

    async def load(self, tree_id: str) -> ServiceDataState | None:
        """The whole service data of a tree in one statement."""
        rows = (
            await execute_core(
                self.session,
                select(
                    col(SD.id).label("sd_id"),
                    col(SD.version),
                    col(SD.created),
                    col(SD.last_modified),
                    col(ITEM.id).label("item_id"),
                    col(ITEM.article),
                    col(ITEM.quantity),
                    col(USE.service_job_id),
                    col(USE.sequence),
                    col(USE.applied_quantity),
                    col(USE.items_returnable),
                )
                .select_from(SD)
                .outerjoin(ITEM, col(ITEM.service_data_id) == col(SD.id))
                .outerjoin(USE, col(USE.service_data_item_id) == col(ITEM.id))
                .where(col(SD.linked_service_jobs_id) == tree_id, col(SD.tenant) == self.tenant)
                .order_by(col(ITEM.position), col(USE.sequence)),
            )
        ).all()
        if not rows:
            return None
        first = rows[0]
        state = ServiceDataState(
            id=first.sd_id,
            linked_service_jobs_id=tree_id,
            version=first.version,
            created=first.created,
            last_modified=first.last_modified,
        )
        usages: dict[str, list[Usage]] = {}
        for row in rows:
            if row.item_id is None:
                continue
            if row.item_id not in state.articles:
                state.articles[row.item_id] = row.article
                usages[row.item_id] = []
                state.items[row.item_id] = ServiceItem(
                    row.item_id, row.article["tenantArticleId"], row.quantity
                )
            if row.service_job_id is not None:
                usages[row.item_id].append(
                    Usage(
                        row.service_job_id,
                        row.sequence,
                        row.applied_quantity,
                        row.items_returnable,
                    )
                )
        for item_id, item_usages in usages.items():
            state.items[item_id] = ServiceItem(
                item_id,
                state.items[item_id].tenant_article_id,
                state.items[item_id].quantity,
                tuple(item_usages),
            )
        return state

    async def save_usages(self, items: Collection[ServiceItem]) -> None:
        """Write the usages of the given items as they are now."""
        ids = [item.id for item in items]
        if not ids:
            return
        await execute_core(
            self.session,
            delete(USE).where(
                col(USE.service_data_item_id).in_(ids), col(USE.tenant) == self.tenant
            ),
        )
        rows = [
            {
                "service_data_item_id": item.id,
                "service_job_id": usage.job_id,
                "tenant": self.tenant,
                "sequence": usage.sequence,
                "applied_quantity": usage.applied_quantity,
                "items_returnable": usage.items_returnable,
            }
            for item in items
            for usage in item.usages
        ]
        if rows:
            await execute_core(self.session, insert(USE), rows)

    async def bump(self, service_data_id: str) -> None:
        await execute_core(
            self.session,
            update(SD)
            .where(col(SD.id) == service_data_id, col(SD.tenant) == self.tenant)
            .values(version=SD.version + 1, last_modified=utcnow()),
        )

    async def merge(self, from_tree: str, into_tree: str) -> None:
        """Move a tree's items (with their usages) into another tree's service data."""
        source = await self.id_for_tree(from_tree)
        target = await self.id_for_tree(into_tree)
        offset = (
            await execute_core(
                self.session,
                select(func.coalesce(func.max(ITEM.position), -1) + 1).where(
                    col(ITEM.service_data_id) == target
                ),
            )
        ).scalar_one()
        await execute_core(
            self.session,
            update(ITEM)
            .where(col(ITEM.service_data_id) == source)
            .values(service_data_id=target, position=ITEM.position + offset),
        )
        await execute_core(self.session, delete(SD).where(col(SD.id) == source))
        await self.bump(target)
