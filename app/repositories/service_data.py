"""Service data: a tree's items and who uses them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.core import execute_core
from app.db.types import utcnow
from app.domain.service_data import Held, ServiceItem, Usage

SD = tables.ServiceData
ITEM = tables.ServiceDataItem
USE = tables.ServiceDataUsage
LINE = tables.LineItem


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


#: What a service data's state is made of: one row per usage of each item (an item without
#: usages, a service data without items: one row with NULLs on the right).
_STATE_COLUMNS: tuple[Any, ...] = (
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


def state_of(tree_id: str, rows: Sequence[Any]) -> ServiceDataState:
    """A tree's service data from its rows (_STATE_COLUMNS, items in position order and each
    item's usages in sequence order; at least one row)."""
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
                select(*_STATE_COLUMNS)
                .select_from(SD)
                .outerjoin(ITEM, col(ITEM.service_data_id) == col(SD.id))
                .outerjoin(USE, col(USE.service_data_item_id) == col(ITEM.id))
                .where(col(SD.linked_service_jobs_id) == tree_id, col(SD.tenant) == self.tenant)
                .order_by(col(ITEM.position), col(USE.sequence)),
            )
        ).all()
        return state_of(tree_id, rows) if rows else None

    async def get(self, service_data_id: str) -> tables.ServiceData | None:
        result = await self.session.exec(
            model_select(SD)
            .where(SD.id == service_data_id, SD.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.first()

    async def load_with_holdings(self, tree_id: str) -> ServiceDataState | None:
        """The service data with what each job holds of every item (its line items)."""
        state = await self.load(tree_id)
        if state is None:
            return None
        rows = (
            await execute_core(
                self.session,
                select(
                    col(LINE.id),
                    col(LINE.service_job_id),
                    col(LINE.service_item_ref),
                    col(LINE.quantity),
                ).where(
                    col(LINE.linked_service_jobs_id) == tree_id, col(LINE.tenant) == self.tenant
                ),
            )
        ).all()
        held: dict[str, dict[str, Held]] = {}
        for row in rows:
            by_job = held.setdefault(row.service_item_ref, {})
            before = by_job.get(row.service_job_id, Held(row.service_job_id))
            if row.id == row.service_item_ref:
                by_job[row.service_job_id] = replace(before, created=before.created + row.quantity)
            else:
                by_job[row.service_job_id] = replace(
                    before, selected=before.selected + row.quantity
                )
        for item_id, item in state.items.items():
            state.items[item_id] = replace(item, held=tuple(held.get(item_id, {}).values()))
        return state

    async def save_selected(
        self,
        job_id: str,
        tree_id: str,
        item: ServiceItem,
        article: dict[str, Any],
    ) -> None:
        """Make the job's selected line item of `item` hold what the item says it selected:
        one line item per job and item, appended after the job's others, gone at zero."""
        selected = item.held_by(job_id).selected
        existing = (
            await execute_core(
                self.session,
                select(col(LINE.id)).where(
                    col(LINE.service_job_id) == job_id,
                    col(LINE.service_item_ref) == item.id,
                    col(LINE.id) != item.id,
                    col(LINE.tenant) == self.tenant,
                ),
            )
        ).scalar_one_or_none()
        if existing is not None and selected == 0:
            await execute_core(self.session, delete(LINE).where(col(LINE.id) == existing))
        elif existing is not None:
            await execute_core(
                self.session,
                update(LINE).where(col(LINE.id) == existing).values(quantity=selected),
            )
        elif selected:
            position = (
                await execute_core(
                    self.session,
                    select(func.coalesce(func.max(LINE.position), -1)).where(
                        col(LINE.service_job_id) == job_id
                    ),
                )
            ).scalar_one() + 1
            await execute_core(
                self.session,
                insert(LINE),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "tenant": self.tenant,
                        "service_job_id": job_id,
                        "linked_service_jobs_id": tree_id,
                        "position": position,
                        "article": article,
                        "quantity": selected,
                        "scannable_codes": [],
                        "custom_attributes": None,
                        "service_item_ref": item.id,
                    }
                ],
            )

    async def set_quantities(self, items: Collection[ServiceItem]) -> None:
        for item in items:
            await execute_core(
                self.session,
                update(ITEM)
                .where(col(ITEM.id) == item.id, col(ITEM.tenant) == self.tenant)
                .values(quantity=item.quantity),
            )

    async def remove_items(self, item_ids: Collection[str]) -> None:
        if item_ids:
            await execute_core(
                self.session,
                delete(ITEM).where(
                    col(ITEM.id).in_(list(item_ids)), col(ITEM.tenant) == self.tenant
                ),
            )

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
