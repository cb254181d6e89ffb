"""Selecting and unselecting a tree's items for a job (DOMAIN §6)."""

from __future__ import annotations

from collections.abc import Sequence

from app.db import tables
from app.db.engine import SessionFactory
from app.domain import service_data as rules
from app.domain import trees
from app.domain.access import Viewer
from app.domain.errors import not_found, version_conflict
from app.domain.job_status import JobStatus
from app.domain.versioning import check_version
from app.repositories.service_data import ServiceDataRepository, ServiceDataState
from app.repositories.service_jobs import ServiceJobRepository
from app.services import transaction


async def change_items(
    db: SessionFactory,
    viewer: Viewer,
    job_id: str,
    job_version: int,
    entries: Sequence[rules.Entry],
    *,
    select: bool,
) -> tuple[tables.ServiceJob, ServiceDataState]:
    """Select (or unselect) items for a NOT_READY job; the job's version and the service
    data's version both bump. A job that thereby has all its items, and whose prerequisites
    have all ended, opens in the same transaction."""
    async with transaction(db) as session:
        jobs = ServiceJobRepository(session, viewer.tenant)
        job = await jobs.get(job_id)
        if job is None or not viewer.sees_facility(job.facility_ref):
            raise not_found("Service job", job_id, "serviceJobId")
        await jobs.lock_tree(job.linked_service_jobs_id)
        job = await jobs.get(job_id)
        assert job is not None
        check_version("The service job", job_version, job.version)

        data = ServiceDataRepository(session, viewer.tenant)
        state = await data.load(job.linked_service_jobs_id)
        assert state is not None, "every tree has its service data"
        tree = await jobs.tree_state(job.linked_service_jobs_id)
        status = JobStatus(job.status)
        if select:
            selection = rules.select_items(
                tree.shape, state.items, job.id, status, entries, job.items_returnable
            )
        else:
            selection = rules.unselect_items(tree.shape, state.items, job.id, status, entries)

        lacking = rules.needs_items(job.items_required, job.required_line_items) and (
            rules.missing_line_items(job.required_line_items, selection.items, job.id)
        )
        changes: dict[str, object] = {"sub_status": rules.LINE_ITEMS_MISSING if lacking else None}
        statuses = {k: JobStatus(v) for k, v in tree.statuses.items()}
        if trees.jobs_to_open(tree.shape, statuses, [job.id], {job.id} if lacking else ()):
            changes["status"] = JobStatus.OPEN.value
        if not await jobs.update_job_if_version(job.id, job_version, changes):
            raise version_conflict("The service job", job_version, job.version)
        await data.save_usages([selection.items[i] for i in selection.changed])
        await data.bump(state.id)

        updated = await jobs.get(job.id)
        after = await data.load(job.linked_service_jobs_id)
        assert updated is not None and after is not None
        return updated, after
