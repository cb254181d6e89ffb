"""Service jobs, their links and trees, and line items."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.core import execute_core
from app.db.types import utcnow
from app.domain.cancel_reasons import CancelReason
from app.domain.job_status import TERMINAL, JobStatus
from app.domain.service_data import LACKING, needs_items
from app.domain.trees import Link, TreeShape
from app.events import outbox

JOB = tables.ServiceJob
LINK = tables.ServiceJobLink
TREE = tables.LinkedServiceJobs
ITEM = tables.LineItem
ASSIGNED = tables.ServiceJobAssignedUser


@dataclass(frozen=True, slots=True)
class TreeState:
    """What writers need of a tree: its shape and each job's status."""

    shape: TreeShape
    statuses: dict[str, str]
    lacking_items: set[str]
    #: Each job's sub-status, and what its items need: required line items of the jobs that
    #: need items (DOMAIN §6), whether its items are returnable.
    sub_statuses: dict[str, str | None] = field(default_factory=dict)
    needs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    returnable: dict[str, bool] = field(default_factory=dict)


def status_columns(status: JobStatus, reason: CancelReason) -> dict[str, Any]:
    """The columns that go with a new status: when the job ended, and why it was cancelled
    (a reason, if any, replaces the whole previous one)."""
    values: dict[str, Any] = {}
    if status in TERMINAL:
        values["ended_at"] = utcnow()
    if not reason.empty:
        values["status_reason"] = reason.reason
        values["status_reason_localized"] = (
            dict(reason.reason_localized) if reason.reason_localized else None
        )
        values["status_reason_code"] = reason.reason_code
    return values


class ServiceJobRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    # jobs

    async def get(self, ident: str) -> tables.ServiceJob | None:
        result = await self.session.exec(
            model_select(JOB)
            .where(JOB.id == ident, JOB.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.first()

    async def get_many(self, ids: Collection[str]) -> dict[str, tables.ServiceJob]:
        if not ids:
            return {}
        result = await self.session.exec(
            model_select(JOB).where(col(JOB.id).in_(list(ids)), JOB.tenant == self.tenant)
        )
        return {row.id: row for row in result.all()}

    async def jobs_of_order(self, order: tables.ServiceOrder) -> list[tables.ServiceJob]:
        """The jobs carrying the order's id in the order's facility: a job elsewhere with the
        same label is not part of it."""
        result = await self.session.exec(
            model_select(JOB)
            .where(JOB.tenant == self.tenant, JOB.tenant_order_id == order.tenant_order_id)
            .where(JOB.facility_ref == order.facility_ref)
            .order_by(col(JOB.created), col(JOB.id))
        )
        return list(result.all())

    async def update_job_if_version(
        self, ident: str, version: int, values: Mapping[str, Any]
    ) -> bool:
        result = await self.session.exec(
            update(JOB)
            .where(col(JOB.id) == ident, col(JOB.tenant) == self.tenant)
            .where(col(JOB.version) == version)
            .values(**values, version=JOB.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            outbox.note_jobs_changed(self.session, [ident])
        return bool(result.rowcount)

    async def update_jobs(
        self, job_ids: Collection[str], values: Mapping[str, Any], *, bump: bool = True
    ) -> None:
        """Several jobs of a locked tree change alike (items flowed); `bump=False` for jobs
        made in this very transaction, still at their first version."""
        if not job_ids:
            return
        extra: dict[str, Any] = {"version": JOB.version + 1} if bump else {}
        await self.session.exec(
            update(JOB)
            .where(col(JOB.id).in_(list(job_ids)), col(JOB.tenant) == self.tenant)
            .values(**values, **extra, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        outbox.note_jobs_changed(self.session, job_ids)

    async def set_status(
        self, job_ids: Collection[str], status: str, reason: CancelReason | None = None
    ) -> None:
        """Moves several jobs of a locked tree at once (readiness, cascades)."""
        if not job_ids:
            return
        values: dict[str, Any] = {
            "status": status,
            "last_modified": utcnow(),
            **status_columns(JobStatus(status), reason or CancelReason()),
        }
        await self.session.exec(
            update(JOB)
            .where(col(JOB.id).in_(list(job_ids)), col(JOB.tenant) == self.tenant)
            .values(**values, version=JOB.version + 1)
            .execution_options(synchronize_session=False)
        )
        outbox.note_jobs_changed(self.session, job_ids)

    async def order(self, tenant_order_id: str) -> tables.ServiceOrder | None:
        result = await self.session.exec(
            model_select(tables.ServiceOrder).where(
                tables.ServiceOrder.tenant == self.tenant,
                tables.ServiceOrder.tenant_order_id == tenant_order_id,
            )
        )
        return result.first()

    # trees

    async def get_tree(self, ident: str) -> tables.LinkedServiceJobs | None:
        result = await self.session.exec(
            model_select(TREE)
            .where(TREE.id == ident, TREE.tenant == self.tenant)
            .execution_options(populate_existing=True)
        )
        return result.first()

    async def lock_tree(self, ident: str) -> bool:
        """Bump the tree's version first thing in a write: on PostgreSQL this takes the row lock,
        on SQLite the database write lock, so writers of one tree run one after another and
        every read after it sees a settled tree."""
        result = await self.session.exec(
            update(TREE)
            .where(col(TREE.id) == ident, col(TREE.tenant) == self.tenant)
            .values(version=TREE.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            outbox.note_trees_changed(self.session, [ident])
        return bool(result.rowcount)

    async def tree_state(self, tree_id: str) -> TreeState:
        result = await execute_core(
            self.session,
            select(
                col(LINK.id),
                col(LINK.service_job_id),
                col(LINK.parent_link_id),
                col(JOB.status),
                col(JOB.sub_status),
                col(JOB.items_required),
                col(JOB.required_line_items),
                col(JOB.items_returnable),
            )
            .join(JOB, col(JOB.id) == col(LINK.service_job_id))
            .where(col(LINK.linked_service_jobs_id) == tree_id, col(LINK.tenant) == self.tenant)
            .order_by(col(LINK.position)),
        )
        shape = TreeShape()
        statuses: dict[str, str] = {}
        state = TreeState(shape, statuses, set())
        for row in result.all():
            job = row.service_job_id
            shape.add(Link(row.id, job, row.parent_link_id))
            statuses[job] = row.status
            state.sub_statuses[job] = row.sub_status
            state.returnable[job] = row.items_returnable
            if row.sub_status in LACKING:
                state.lacking_items.add(job)
            if needs_items(row.items_required, row.required_line_items):
                state.needs[job] = row.required_line_items
        return state

    async def next_position(self, tree_id: str) -> int:
        result = await execute_core(
            self.session,
            select(func.coalesce(func.max(LINK.position), -1)).where(
                col(LINK.linked_service_jobs_id) == tree_id
            ),
        )
        return int(result.scalar_one()) + 1

    async def add(self, rows: Sequence[Any]) -> None:
        self.session.add_all(rows)
        await self.session.flush()
        outbox.note_created(self.session, rows)
        assignments = [
            assignment
            for row in rows
            if isinstance(row, JOB)
            for assignment in self._assignment_rows(row.id, row.assigned_users)
        ]
        if assignments:
            self.session.add_all(assignments)
            await self.session.flush()

    # assigned users (the indexed copy of a job's `assigned_users`)

    def _assignment_rows(
        self, job_id: str, users: Sequence[Mapping[str, Any]] | None
    ) -> list[tables.ServiceJobAssignedUser]:
        return [
            tables.ServiceJobAssignedUser(
                service_job_id=job_id,
                position=position,
                tenant=self.tenant,
                user_id=user.get("userId"),
                username=user.get("username"),
            )
            for position, user in enumerate(users or ())
        ]

    async def replace_assignments(self, job_id: str, users: Sequence[Mapping[str, Any]]) -> None:
        await self.session.exec(
            delete(ASSIGNED).where(
                col(ASSIGNED.service_job_id) == job_id, col(ASSIGNED.tenant) == self.tenant
            )
        )
        rows = self._assignment_rows(job_id, users)
        if rows:
            self.session.add_all(rows)
            await self.session.flush()

    async def move_link(
        self, link_id: str, tree_id: str, parent_id: str | None, position: int
    ) -> None:
        await self.session.exec(
            update(LINK)
            .where(col(LINK.id) == link_id, col(LINK.tenant) == self.tenant)
            .values(linked_service_jobs_id=tree_id, parent_link_id=parent_id, position=position)
            .execution_options(synchronize_session=False)
        )

    async def move_job(self, job_id: str, tree_id: str) -> None:
        """Move a job and its line items into another tree; the job's version bumps, since
        the tree it belongs to is part of its state."""
        await self.session.exec(
            update(JOB)
            .where(col(JOB.id) == job_id, col(JOB.tenant) == self.tenant)
            .values(linked_service_jobs_id=tree_id, version=JOB.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
        await self.session.exec(
            update(ITEM)
            .where(col(ITEM.service_job_id) == job_id, col(ITEM.tenant) == self.tenant)
            .values(linked_service_jobs_id=tree_id)
            .execution_options(synchronize_session=False)
        )
        outbox.note_jobs_changed(self.session, [job_id])

    async def merge_tree_away(self, tree_id: str, into: str) -> None:
        """Delete a tree whose jobs went into another one."""
        tree = await self.get_tree(tree_id)
        assert tree is not None
        outbox.note_tree_merged(self.session, tree, into)
        await self.session.delete(tree)
        await self.session.flush()

    # line items

    async def line_items_by_job(self, job_ids: Collection[str]) -> dict[str, list[Row[Any]]]:
        grouped: dict[str, list[Row[Any]]] = {i: [] for i in job_ids}
        if not job_ids:
            return grouped
        result = await execute_core(
            self.session,
            select(ITEM.__table__)  # type: ignore[attr-defined]
            .where(col(ITEM.service_job_id).in_(list(job_ids)), col(ITEM.tenant) == self.tenant)
            .order_by(col(ITEM.service_job_id), col(ITEM.position)),
        )
        for row in result.all():
            grouped[row.service_job_id].append(row)
        return grouped

    async def get_link(self, ident: str) -> tables.ServiceJobLink | None:
        result = await self.session.exec(
            model_select(LINK).where(LINK.id == ident, LINK.tenant == self.tenant)
        )
        return result.first()
