"""Selecting and unselecting a tree's items for a job, and correcting the tree's service data
(DOMAIN §6). One transaction each, on a locked tree."""

from __future__ import annotations

from collections.abc import Sequence

from app.db import tables
from app.db.engine import SessionFactory
from app.domain import service_data as rules
from app.domain import service_data_maintenance as maintenance
from app.domain.access import Viewer
from app.domain.errors import Problems, not_found, version_conflict
from app.domain.job_status import JobStatus
from app.domain.versioning import check_version
from app.repositories.service_data import ServiceDataRepository, ServiceDataState
from app.repositories.service_jobs import ServiceJobRepository
from app.services import transaction
from app.services.item_flow import apply_readiness, readiness_changes, settle_tree, write_usages
from app.services.serialization import article_to_json
from app.services.service_jobs import new_id


async def change_items(
    db: SessionFactory,
    viewer: Viewer,
    job_id: str,
    job_version: int,
    entries: Sequence[rules.Entry],
    *,
    select: bool,
) -> tuple[tables.ServiceJob, ServiceDataState]:
    """Select (or unselect) items for a NOT_READY job: they join (leave) its lineItems and pass
    on to the jobs above it. The job's and the service data's versions bump; every job whose
    readiness changed with it (the job, the jobs above, parallel ones) moves in the same
    transaction, and the jobs now ready open."""
    async with transaction(db) as session:
        jobs = ServiceJobRepository(session, viewer.tenant)
        job = await jobs.get(job_id)
        if job is None or not viewer.sees_facility(job.facility_ref):
            raise not_found("Service job", job_id, "serviceJobId")
        await jobs.lock_tree(job.linked_service_jobs_id)
        job = await jobs.get(job_id)
        assert job is not None
        check_version("The service job", job_version, job.version)

        tree_id = job.linked_service_jobs_id
        data = ServiceDataRepository(session, viewer.tenant)
        state = await data.load_with_holdings(tree_id)
        assert state is not None, "every tree has its service data"
        tree = await jobs.tree_state(tree_id)
        status = JobStatus(job.status)
        change = rules.select_items if select else rules.unselect_items
        selection = change(tree.shape, state.items, job.id, status, entries)

        changes = readiness_changes(tree, selection.items)
        if not await jobs.update_job_if_version(job.id, job_version, changes.pop(job.id, {})):
            raise version_conflict("The service job", job_version, job.version)
        await apply_readiness(jobs, changes)
        changed = [selection.items[i] for i in selection.changed]
        for item in changed:
            await data.save_selected(job.id, tree_id, item, state.articles[item.id])
        await write_usages(data, tree, changed)
        await data.bump(state.id)

        updated = await jobs.get(job.id)
        after = await data.load(tree_id)
        assert updated is not None and after is not None
        return updated, after


async def _locked_service_data(
    jobs: ServiceJobRepository, data: ServiceDataRepository, viewer: Viewer, ident: str
) -> tables.ServiceData:
    row = await data.get(ident)
    tree = None if row is None else await jobs.get_tree(row.linked_service_jobs_id)
    if row is None or tree is None or not viewer.sees_facility(tree.facility_ref):
        raise not_found("Service data", ident, "serviceDataId")
    await jobs.lock_tree(tree.id)
    row = await data.get(ident)
    if row is None:
        raise not_found("Service data", ident, "serviceDataId")
    return row


async def correct_items(
    db: SessionFactory,
    viewer: Viewer,
    ident: str,
    version: int,
    *,
    add: Sequence[maintenance.NewItem] = (),
    remove: Sequence[str] = (),
    update: Sequence[maintenance.QuantityChange] = (),
) -> ServiceDataState:
    """Add, remove or re-count available line items of a tree's service data (with its
    version); never below the units jobs hold. The jobs' readiness follows (a job may become
    REQUIRED_LINE_ITEMS_UNFULFILLABLE, or fulfillable again)."""
    async with transaction(db) as session:
        jobs = ServiceJobRepository(session, viewer.tenant)
        data = ServiceDataRepository(session, viewer.tenant)
        row = await _locked_service_data(jobs, data, viewer, ident)
        check_version("The service data", version, row.version)
        tree_id = row.linked_service_jobs_id
        state = await data.load_with_holdings(tree_id)
        assert state is not None
        problems = Problems()
        if add:
            maintenance.check_new_items(add, len(state.items) + len(add), problems)
        if remove:
            maintenance.check_removal(state.items, remove, problems)
        counted = maintenance.apply_quantities(state.items, update, problems) if update else {}
        problems.raise_if_any()

        await data.add_items(
            row.id, [(new_id(), article_to_json(i.article), i.quantity) for i in add]
        )
        await data.remove_items(remove)
        await data.set_quantities(counted.values())
        await data.bump(row.id)
        await settle_tree(jobs, data, tree_id, refresh=())
        after = await data.load(tree_id)
        assert after is not None
        return after
