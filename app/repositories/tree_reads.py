"""Reading a whole tree for the API: three statements whatever its size (the tree, its links
joined with their jobs, its line items), as driver rows indexed in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.domain.trees import Link, TreeShape

JOB = tables.ServiceJob
LINK = tables.ServiceJobLink
ITEM = tables.LineItem
TREE = tables.LinkedServiceJobs


@dataclass(slots=True)
class TreeSnapshot:
    tree: Row[Any]
    shape: TreeShape
    jobs: dict[str, Row[Any]]
    items_by_job: dict[str, list[Row[Any]]] = field(default_factory=dict)

    def link_depths(self) -> dict[str, int]:
        return dict(self.shape.preorder())


async def load_tree(session: AsyncSession, tenant: str, tree_id: str) -> TreeSnapshot | None:
    # Straight on the connection: driver rows without the ORM's result machinery.
    connection = await session.connection()
    tree = (
        await connection.execute(
            select(TREE.__table__).where(  # type: ignore[attr-defined]
                col(TREE.id) == tree_id, col(TREE.tenant) == tenant
            ),
        )
    ).first()
    if tree is None:
        return None
    rows: Sequence[Any] = (
        await connection.execute(
            select(
                col(LINK.id).label("link_id"),
                col(LINK.parent_link_id),
                *JOB.__table__.columns,  # type: ignore[attr-defined]
            )
            .join(JOB, col(JOB.id) == col(LINK.service_job_id))
            .where(col(LINK.linked_service_jobs_id) == tree_id, col(LINK.tenant) == tenant)
            .order_by(col(LINK.position)),
        )
    ).all()
    shape = TreeShape()
    jobs: dict[str, Row[Any]] = {}
    for row in rows:
        shape.add(Link(row.link_id, row.id, row.parent_link_id))
        jobs[row.id] = row
    items: dict[str, list[Row[Any]]] = defaultdict(list)
    item_rows = (
        await connection.execute(
            select(ITEM.__table__)  # type: ignore[attr-defined]
            .where(col(ITEM.linked_service_jobs_id) == tree_id, col(ITEM.tenant) == tenant)
            .order_by(col(ITEM.service_job_id), col(ITEM.position)),
        )
    ).all()
    for item in item_rows:
        items[item.service_job_id].append(item)
    return TreeSnapshot(tree=tree, shape=shape, jobs=jobs, items_by_job=dict(items))
