"""The transactional outbox. Repositories note which jobs and trees a unit of work touched;
just before it commits, `write_outbox` turns the notes into `event` rows (and, on PostgreSQL,
into NOTIFYs, which PostgreSQL delivers only if the transaction commits). Nothing is emitted
for a rolled-back change, because nothing outlives its transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.core import execute_core
from app.db.types import utcnow
from app.domain.events import ChangeNotice, EntityType, EventType

#: The PostgreSQL channel every worker LISTENs on.
CHANNEL = "jobtree_changes"

_KEY = "jobtree.pending_changes"
JOB = tables.ServiceJob
TREE = tables.LinkedServiceJobs


@dataclass
class PendingChanges:
    """What one unit of work changed, by id."""

    jobs: set[str] = field(default_factory=set)
    created_jobs: set[str] = field(default_factory=set)
    #: Trees whose version this unit of work already bumped.
    trees: set[str] = field(default_factory=set)
    created_trees: set[str] = field(default_factory=set)
    #: Trees merged away: id -> (tenant, facility, last version, the tree they went into).
    merged_trees: dict[str, tuple[str, str, int, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.jobs or self.created_jobs or self.trees or self.created_trees) or bool(
            self.merged_trees
        )


def pending(session: AsyncSession) -> PendingChanges:
    changes: PendingChanges = session.info.setdefault(_KEY, PendingChanges())
    return changes


def note_jobs_changed(session: AsyncSession, ids: Iterable[str]) -> None:
    pending(session).jobs.update(ids)


def note_trees_changed(session: AsyncSession, ids: Iterable[str]) -> None:
    pending(session).trees.update(ids)


def note_created(session: AsyncSession, rows: Iterable[object]) -> None:
    changes = pending(session)
    for row in rows:
        if isinstance(row, JOB):
            changes.created_jobs.add(row.id)
        elif isinstance(row, TREE):
            changes.created_trees.add(row.id)


def note_tree_merged(session: AsyncSession, tree: tables.LinkedServiceJobs, into: str) -> None:
    changes = pending(session)
    changes.trees.discard(tree.id)
    changes.merged_trees[tree.id] = (tree.tenant, tree.facility_ref, tree.version, into)


async def write_outbox(session: AsyncSession) -> list[ChangeNotice]:
    """Insert one event per changed job and tree; call last in the transaction."""
    changes: PendingChanges | None = session.info.pop(_KEY, None)
    if not changes:
        return []
    jobs = await _job_rows(session, changes.jobs | changes.created_jobs)
    # A change to a job is a change to its tree: bump the trees that were not bumped yet, so
    # a tree's version still tells one state from the next.
    untouched = {row.linked_service_jobs_id for row in jobs} - changes.trees
    untouched -= changes.created_trees | set(changes.merged_trees)
    if untouched:
        await session.exec(
            update(TREE)
            .where(col(TREE.id).in_(sorted(untouched)))
            .values(version=TREE.version + 1, last_modified=utcnow())
            .execution_options(synchronize_session=False)
        )
    trees = await _tree_rows(
        session, (changes.trees | changes.created_trees | untouched) - set(changes.merged_trees)
    )

    rows: list[dict[str, Any]] = []
    for job in jobs:
        created = job.id in changes.created_jobs
        rows.append(
            _event(
                job.tenant,
                job.facility_ref,
                EventType.SERVICE_JOB_CREATED if created else EventType.SERVICE_JOB_CHANGED,
                EntityType.SERVICE_JOB,
                job.id,
                job.version,
                {
                    "status": job.status,
                    "subStatus": job.sub_status,
                    "statusReason": job.status_reason,
                    "linkedServiceJobsId": job.linked_service_jobs_id,
                    "tenantOrderId": job.tenant_order_id,
                },
            )
        )
    for tree in trees:
        created = tree.id in changes.created_trees
        rows.append(
            _event(
                tree.tenant,
                tree.facility_ref,
                EventType.LINKED_SERVICE_JOBS_CREATED
                if created
                else EventType.LINKED_SERVICE_JOBS_CHANGED,
                EntityType.LINKED_SERVICE_JOBS,
                tree.id,
                tree.version,
                {"tenantOrderId": tree.tenant_order_id},
            )
        )
    for tree_id, (tenant, facility, version, into) in sorted(changes.merged_trees.items()):
        rows.append(
            _event(
                tenant,
                facility,
                EventType.LINKED_SERVICE_JOBS_MERGED,
                EntityType.LINKED_SERVICE_JOBS,
                tree_id,
                version,
                {"mergedInto": into},
            )
        )
    if not rows:
        return []

    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Ids come from a sequence, handed out at insert time; without this, a reader paging
        # `events(after:)` could pass an id whose transaction commits a moment later. The lock
        # is held from here to the commit, so within a tenant ids grow in commit order.
        for tenant in sorted({row["tenant"] for row in rows}):
            await execute_core(
                session,
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"jobtree.events:{tenant}"},
            )
    result = await execute_core(
        session,
        insert(tables.Event).returning(col(tables.Event.id), sort_by_parameter_order=True),
        rows,
    )
    notices = [
        ChangeNotice(
            event_id=int(event_id),
            tenant=row["tenant"],
            entity_type=EntityType(row["entity_type"]),
            entity_id=row["entity_id"],
            version=row["version"],
            event_type=EventType(row["event_type"]),
        )
        for (event_id,), row in zip(result.all(), rows, strict=True)
    ]
    if postgres:
        await execute_core(
            session,
            text("SELECT pg_notify(:channel, notice) FROM unnest(:notices) AS notice").bindparams(
                bindparam("notices", type_=ARRAY(Text))
            ),
            {"channel": CHANNEL, "notices": [n.encode() for n in notices]},
        )
    return notices


def _event(
    tenant: str,
    facility: str,
    event_type: EventType,
    entity_type: EntityType,
    entity_id: str,
    version: int,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "facility_ref": facility,
        "event_type": event_type.value,
        "entity_type": entity_type.value,
        "entity_id": entity_id,
        "version": version,
        "payload": payload,
        "occurred_at": utcnow(),
    }


async def _job_rows(session: AsyncSession, ids: Collection[str]) -> list[Any]:
    if not ids:
        return []
    result = await execute_core(
        session,
        select(
            col(JOB.id),
            col(JOB.tenant),
            col(JOB.facility_ref),
            col(JOB.linked_service_jobs_id),
            col(JOB.tenant_order_id),
            col(JOB.status),
            col(JOB.sub_status),
            col(JOB.status_reason),
            col(JOB.version),
        )
        .where(col(JOB.id).in_(sorted(ids)))
        .order_by(col(JOB.created), col(JOB.id)),
    )
    return list(result.all())


async def _tree_rows(session: AsyncSession, ids: Collection[str]) -> list[Any]:
    if not ids:
        return []
    result = await execute_core(
        session,
        select(
            col(TREE.id),
            col(TREE.tenant),
            col(TREE.facility_ref),
            col(TREE.tenant_order_id),
            col(TREE.version),
        )
        .where(col(TREE.id).in_(sorted(ids)))
        .order_by(col(TREE.created), col(TREE.id)),
    )
    return list(result.all())
