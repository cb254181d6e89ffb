"""Creating service jobs and moving them through their status machine (DOMAIN §3, §4)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.engine import SessionFactory
from app.db.types import utcnow
from app.domain import job_status, trees
from app.domain.access import Viewer
from app.domain.assigned_users import UserRef, check_user_refs
from app.domain.cancel_reasons import CancelReason, cancel_reason
from app.domain.custom_services import ArticleItem, CustomServiceStatus
from app.domain.errors import (
    DomainError,
    ErrorCode,
    Problems,
    not_found,
    validation_failed,
    version_conflict,
)
from app.domain.job_status import JobAction, JobStatus
from app.domain.job_values import GivenValue, missing_mandatory, resolve_values
from app.domain.service_data import LINE_ITEMS_MISSING, check_mandatory_items, needs_items
from app.domain.service_jobs import (
    LineItemDraft,
    NewServiceJob,
    check_new_job,
    with_target_time,
)
from app.domain.versioning import check_version
from app.repositories.custom_services import CustomServiceRepository
from app.repositories.facility_connections import FacilityConnectionRepository
from app.repositories.service_data import ServiceDataRepository
from app.repositories.service_jobs import ServiceJobRepository, TreeState, status_columns
from app.services import appointments, transaction
from app.services.item_flow import settle_tree
from app.services.serialization import article_to_json

#: How refusals name a service job.
JOB = "The service job"


@dataclass(frozen=True, slots=True)
class GivenReason:
    """What a client gave with a cancel (checked by app.domain.cancel_reasons)."""

    reason: str | None = None
    reason_localized: Mapping[str, object] | None = None
    reason_code: str | None = None


def new_id() -> str:
    return str(uuid.uuid4())


async def resolve_custom_service(
    repo: CustomServiceRepository, ref: str | None, tenant_id: str | None, field: str
) -> tables.CustomService:
    service = await (repo.get(ref) if ref is not None else repo.get_by_tenant_ref(tenant_id or ""))
    if service is None:
        raise not_found("Custom service", ref or tenant_id or "", field)
    return service


UsableService = tuple[
    tables.CustomService, tables.FacilityCustomServiceConnection, list[dict[str, Any]]
]


async def usable_service(
    session: AsyncSession,
    tenant: str,
    facility_ref: str,
    ref: str | None,
    tenant_id: str | None,
    field: str,
) -> UsableService:
    """The custom service, its ACTIVE connection in the facility, and its questions; or a
    refusal saying which of the three is missing."""
    services = CustomServiceRepository(session, tenant)
    service = await resolve_custom_service(services, ref, tenant_id, field)
    if service.status != CustomServiceStatus.ACTIVE.value:
        raise validation_failed(f"Custom service {service.id!r} is not ACTIVE.", field)
    connection = await FacilityConnectionRepository(session, tenant).find(facility_ref, service.id)
    if connection is None or connection.status != CustomServiceStatus.ACTIVE.value:
        raise validation_failed(
            f"Facility {facility_ref!r} has no ACTIVE connection to custom service {service.id!r}.",
            field,
        )
    questions = (await services.additional_information([service.id]))[service.id]
    return service, connection, [_question(q) for q in questions]


def _question(row: tables.CustomServiceAdditionalInformation) -> dict[str, Any]:
    return {
        "id": row.id,
        "tenantAdditionalInformationId": row.tenant_additional_information_id,
        "nameLocalized": row.name_localized,
        "descriptionLocalized": row.description_localized,
        "valueType": row.value_type,
        "isMandatory": row.is_mandatory,
    }


def job_row(
    *,
    tenant: str,
    tree_id: str,
    service: tables.CustomService,
    connection: tables.FacilityCustomServiceConnection,
    questions: list[dict[str, Any]],
    job: NewServiceJob,
    process_ref: str,
    status: JobStatus,
    values: dict[str, object],
    required_line_items: list[dict[str, Any]] | None = None,
) -> tables.ServiceJob:
    """A job copying its custom service as it is now; later edits of the service do not
    reach it. The connection's execution time wins over the service's. A job that needs items
    waits (NOT_READY, LINE_ITEMS_MISSING) until they are there; the caller settles the tree
    (app.services.item_flow) once the job's own line items are stored."""
    required = (
        required_line_items
        if required_line_items is not None
        else [dict(item) for item in service.article_items or ()]
    )
    lacking = needs_items(service.items_required, required)
    if lacking and status is JobStatus.OPEN:
        status = JobStatus.NOT_READY
    return tables.ServiceJob(
        id=new_id(),
        tenant=tenant,
        linked_service_jobs_id=tree_id,
        custom_service_id=service.id,
        tenant_custom_service_id=service.tenant_custom_service_id,
        facility_ref=job.facility_ref,
        status=status.value,
        target_time=job.target_time,
        process_ref=process_ref,
        operative_process_ref=job.operative_process_ref,
        short_id=job.short_id,
        tenant_order_id=job.tenant_order_id,
        name_localized=dict(service.name_localized),
        description_localized=service.description_localized,
        items_required=service.items_required,
        items_returnable=service.items_returnable,
        execution_time_in_min=(
            connection.execution_time_in_min
            if connection.execution_time_in_min is not None
            else service.execution_time_in_min
        ),
        additional_information=questions,
        additional_information_values=values,
        required_line_items=required,
        sub_status=LINE_ITEMS_MISSING if lacking else None,
        assigned_users=[{"userId": user} for user in job.assigned_users],
        target_time_history=[{"targetTime": job.target_time.isoformat()}],
        custom_attributes=(
            dict(job.custom_attributes)
            if job.custom_attributes is not None
            else service.custom_attributes
        ),
        marketplace_id=job.marketplace_id,
        service_type=job.service_type,
        ended_at=utcnow() if status in job_status.TERMINAL else None,
    )


def line_item_rows(
    tenant: str, job: tables.ServiceJob, drafts: Sequence[LineItemDraft]
) -> list[tables.LineItem]:
    ids = [draft.id or new_id() for draft in drafts]
    return [
        tables.LineItem(
            id=ident,
            service_item_ref=ident,
            tenant=tenant,
            service_job_id=job.id,
            linked_service_jobs_id=job.linked_service_jobs_id,
            position=position,
            article=article_to_json(draft.article),
            quantity=draft.quantity,
            scannable_codes=list(draft.scannable_codes),
            custom_attributes=(
                dict(draft.custom_attributes) if draft.custom_attributes is not None else None
            ),
        )
        for position, (ident, draft) in enumerate(zip(ids, drafts, strict=True))
    ]


async def _visible_job(repo: ServiceJobRepository, viewer: Viewer, ident: str) -> tables.ServiceJob:
    job = await repo.get(ident)
    if job is None or not viewer.sees_facility(job.facility_ref):
        raise not_found("Service job", ident)
    return job


async def create_service_job(
    db: SessionFactory, viewer: Viewer, job: NewServiceJob, max_jobs_per_tree: int
) -> tables.ServiceJob:
    problems = Problems()
    check_new_job(job, problems)
    problems.raise_if_any()
    if not viewer.sees_facility(job.facility_ref):
        raise not_found("Facility", job.facility_ref, "facilityRef")

    async with transaction(db) as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        service, connection, questions = await usable_service(
            session,
            viewer.tenant,
            job.facility_ref,
            job.custom_service_ref,
            job.tenant_custom_service_id,
            "customServiceRef",
        )
        given = [v for v in job.additional_information if isinstance(v, GivenValue)]
        values = resolve_values(questions, given, "additionalInformation", problems)
        problems.raise_if_any()

        if job.service_job_link_ref is None:
            tree = tables.LinkedServiceJobs(
                id=new_id(),
                tenant=viewer.tenant,
                process_ref=job.process_ref or new_id(),
                facility_ref=job.facility_ref,
                target_time=job.target_time,
                tenant_order_id=job.tenant_order_id,
            )
            await repo.add([tree])
            await ServiceDataRepository(session, viewer.tenant).create(tree.id, new_id())
            parent_link_id, position = None, 0
        else:
            tree, state = await _lock_tree_of_link(repo, viewer, job.service_job_link_ref)
            if tree.facility_ref != job.facility_ref:
                raise validation_failed(
                    "A job can only be linked into a tree of its own facility "
                    f"({tree.facility_ref!r}).",
                    "serviceJobLinkRef",
                )
            parent_link_id = job.service_job_link_ref
            trees.check_new_link(
                state.shape, parent_link_id, len(state.statuses), max_jobs_per_tree
            )
            await _parent_gains_prerequisite(repo, state, parent_link_id)
            position = await repo.next_position(tree.id)

        required = (
            [_required_json(item) for item in job.required_line_items]
            if job.required_line_items is not None
            else None
        )
        row = job_row(
            tenant=viewer.tenant,
            tree_id=tree.id,
            service=service,
            connection=connection,
            questions=questions,
            job=job,
            process_ref=job.process_ref or tree.process_ref,
            status=JobStatus.OPEN,
            values=values,
            required_line_items=required,
        )
        check_mandatory_items(row.items_required, row.required_line_items, "requiredLineItems")
        link = tables.ServiceJobLink(
            id=new_id(),
            tenant=viewer.tenant,
            linked_service_jobs_id=tree.id,
            service_job_id=row.id,
            parent_link_id=parent_link_id,
            position=position,
        )
        await repo.add([row])
        items = line_item_rows(viewer.tenant, row, job.line_items)
        await repo.add([link, *items])
        await add_to_service_data(session, viewer.tenant, tree.id, items)
        # Its own items may already cover what it (and, passed on, the jobs above) requires.
        await settle_tree(
            repo,
            ServiceDataRepository(session, viewer.tenant),
            tree.id,
            refresh=[i.id for i in items],
            fresh=[row.id],
        )
        created = await repo.get(row.id)
        assert created is not None
        return created


def _required_json(item: ArticleItem) -> dict[str, Any]:
    return {"article": article_to_json(item.article), "quantity": item.quantity}


async def add_to_service_data(
    session: AsyncSession, tenant: str, tree_id: str, items: Sequence[tables.LineItem]
) -> None:
    """A job's line items become items of its tree's service data, with the same ids."""
    data = ServiceDataRepository(session, tenant)
    await data.add_items(
        await data.id_for_tree(tree_id), [(i.id, i.article, i.quantity) for i in items]
    )


async def _lock_tree_of_link(
    repo: ServiceJobRepository, viewer: Viewer, link_id: str
) -> tuple[tables.LinkedServiceJobs, TreeState]:
    link = await repo.get_link(link_id)
    tree = None if link is None else await repo.get_tree(link.linked_service_jobs_id)
    if tree is None or not viewer.sees_facility(tree.facility_ref):
        raise not_found("Service job link", link_id, "serviceJobLinkRef")
    if not await repo.lock_tree(tree.id):
        raise _changed_meanwhile("serviceJobLinkRef")
    return tree, await repo.tree_state(tree.id)


def _changed_meanwhile(field: str) -> DomainError:
    return DomainError.one(
        ErrorCode.CONFLICT,
        "The tree was merged into another while this request waited for it; try again.",
        field,
    )


async def _parent_gains_prerequisite(
    repo: ServiceJobRepository, state: TreeState, parent_link_id: str
) -> None:
    parent_job = state.shape.links[parent_link_id].job_id
    current = JobStatus(state.statuses[parent_job])
    after = trees.check_parent_accepts_prerequisite(current)
    if after is not current:
        await repo.set_status([parent_job], after.value)


async def apply_status_action(
    db: SessionFactory,
    viewer: Viewer,
    ident: str,
    version: int,
    action: JobAction,
    values: Sequence[GivenValue] = (),
    reason: GivenReason | None = None,
) -> tables.ServiceJob:
    """Apply one action of the status machine, with everything it sets off in the tree:
    a cancel cascades to every dependent, an ended prerequisite may open its parent. A
    marketplace job may also finish from OPEN (seed 000), once its fulfilment data is there."""
    if values and action not in job_status.TAKES_ADDITIONAL_INFORMATION:
        raise validation_failed(
            f"The {action.value} action takes no additional information.", "additionalInformation"
        )
    given = reason or GivenReason()

    async with transaction(db) as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        job = await _visible_job(repo, viewer, ident)
        await repo.lock_tree(job.linked_service_jobs_id)
        job = await _visible_job(repo, viewer, ident)
        check_version(JOB, version, job.version)
        target = job_status.apply_action(
            JobStatus(job.status), action, marketplace=job.marketplace_id is not None
        )
        why = CancelReason()
        if action is JobAction.CANCEL:
            why = cancel_reason(
                marketplace_id=job.marketplace_id,
                service_type=job.service_type,
                reason=given.reason,
                reason_localized=given.reason_localized,
                reason_code=given.reason_code,
            )
            await appointments.close_appointments(session, viewer.tenant, [job.id])
        elif action is JobAction.FINISH and job.marketplace_id is not None:
            await appointments.check_can_complete(session, viewer.tenant, job)

        problems = Problems()
        answered = resolve_values(
            job.additional_information, values, "additionalInformation", problems
        )
        problems.raise_if_any()
        merged = {**job.additional_information_values, **answered}
        if action is JobAction.FINISH:
            missing = missing_mandatory(job.additional_information, merged)
            if missing:
                raise DomainError.one(
                    ErrorCode.VALIDATION_FAILED,
                    "A service job finishes only with every mandatory additional information "
                    f"answered; missing: {', '.join(missing)}.",
                    "additionalInformation",
                )

        changes: dict[str, Any] = {
            "status": target.value,
            "additional_information_values": merged,
            **status_columns(target, why),
        }
        if not await repo.update_job_if_version(job.id, version, changes):
            raise version_conflict(JOB, version, job.version)
        await _settle_tree(repo, job, target, why)
        result = await repo.get(job.id)
        assert result is not None
        return result


async def _settle_tree(
    repo: ServiceJobRepository, job: tables.ServiceJob, new_status: JobStatus, why: CancelReason
) -> None:
    """What a job's new status sets off in its tree, in the same transaction."""
    if new_status not in job_status.TERMINAL:
        return
    state = await repo.tree_state(job.linked_service_jobs_id)
    statuses = {k: JobStatus(v) for k, v in state.statuses.items()}
    if new_status is JobStatus.CANCELLED:
        dependents = trees.dependents_to_cancel(state.shape, statuses, job.id)
        await repo.set_status(dependents, JobStatus.CANCELLED.value, why)
        await appointments.close_appointments(repo.session, repo.tenant, dependents)
        return
    parent = trees.parent_job(state.shape, job.id)
    if parent is not None:
        await repo.set_status(
            trees.jobs_to_open(state.shape, statuses, [parent], state.lacking_items),
            JobStatus.OPEN.value,
        )


async def replace_assigned_users(
    db: SessionFactory, viewer: Viewer, ident: str, version: int, users: Sequence[UserRef]
) -> tables.ServiceJob:
    problems = Problems()
    check_user_refs(users, "users", problems)
    problems.raise_if_any()
    stored = [user.to_json() for user in users]

    async def copy_for_search(repo: ServiceJobRepository) -> None:
        await repo.replace_assignments(ident, stored)

    return await _update_fields(
        db, viewer, ident, version, {"assigned_users": stored}, then=copy_for_search
    )


async def add_target_time(
    db: SessionFactory, viewer: Viewer, ident: str, version: int, target_time: datetime
) -> tables.ServiceJob:
    with_target_time((), target_time)  # refused before any read when it has no timezone
    async with transaction(db) as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        job = await _visible_job(repo, viewer, ident)
        check_version(JOB, version, job.version)
        if JobStatus(job.status) in job_status.TERMINAL:
            raise DomainError.one(
                ErrorCode.INVALID_TRANSITION,
                f"A service job in status {job.status} takes no new target time.",
                "targetTime",
            )
        history = with_target_time(job.target_time_history, target_time)
        if not await repo.update_job_if_version(
            ident, version, {"target_time": target_time, "target_time_history": history}
        ):
            raise version_conflict(JOB, version, job.version)
        result = await repo.get(ident)
        assert result is not None
        return result


async def _update_fields(
    db: SessionFactory,
    viewer: Viewer,
    ident: str,
    version: int,
    values: dict[str, Any],
    then: Callable[[ServiceJobRepository], Awaitable[None]] | None = None,
) -> tables.ServiceJob:
    """Change a job's own fields (and `then` whatever goes with them, in the same
    transaction)."""
    async with transaction(db) as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        job = await _visible_job(repo, viewer, ident)
        check_version(JOB, version, job.version)
        if not await repo.update_job_if_version(ident, version, values):
            raise version_conflict(JOB, version, job.version)
        if then is not None:
            await then(repo)
        result = await repo.get(ident)
        assert result is not None
        return result


async def add_service_job_link(
    db: SessionFactory,
    viewer: Viewer,
    tree_id: str,
    job_id: str,
    parent_link_id: str | None,
    max_jobs_per_tree: int,
) -> tables.LinkedServiceJobs:
    """Move a job that is alone in its own tree into `tree_id`, at the root level or beneath
    a link; its own tree disappears."""
    async with transaction(db) as session:
        repo = ServiceJobRepository(session, viewer.tenant)
        job = await _visible_job(repo, viewer, job_id)
        if job.linked_service_jobs_id == tree_id:
            raise DomainError.one(
                ErrorCode.CONFLICT, "The service job is already in this tree.", "serviceJobId"
            )
        tree = await repo.get_tree(tree_id)
        if tree is None or not viewer.sees_facility(tree.facility_ref):
            raise not_found("Linked service jobs", tree_id, "linkedServiceJobsId")
        # Two trees are locked here: always in the same order, so two requests linking
        # crosswise wait for each other instead of deadlocking.
        own_tree = job.linked_service_jobs_id
        for ident in sorted({tree_id, own_tree}):
            if not await repo.lock_tree(ident) and ident == tree_id:
                raise not_found("Linked service jobs", tree_id, "linkedServiceJobsId")
        job = await _visible_job(repo, viewer, job_id)
        if job.linked_service_jobs_id != own_tree:
            raise _changed_meanwhile("serviceJobId")
        own = await repo.tree_state(job.linked_service_jobs_id)
        trees.check_job_not_linked_elsewhere(len(own.shape.links))
        if tree.facility_ref != job.facility_ref:
            raise validation_failed(
                "A job can only be linked into a tree of its own facility "
                f"({tree.facility_ref!r}).",
                "serviceJobId",
            )
        state = await repo.tree_state(tree_id)
        trees.check_new_link(state.shape, parent_link_id, len(state.statuses), max_jobs_per_tree)
        if parent_link_id is not None and JobStatus(job.status) not in job_status.TERMINAL:
            await _parent_gains_prerequisite(repo, state, parent_link_id)
        elif parent_link_id is not None:
            trees.check_parent_accepts_prerequisite(
                JobStatus(state.statuses[state.shape.links[parent_link_id].job_id])
            )
        old_tree = job.linked_service_jobs_id
        link_id = own.shape.link_of_job[job.id]
        await repo.move_link(link_id, tree_id, parent_link_id, await repo.next_position(tree_id))
        await repo.move_job(job.id, tree_id)
        data = ServiceDataRepository(session, viewer.tenant)
        await data.merge(old_tree, tree_id)
        await repo.merge_tree_away(old_tree, tree_id)
        # The moved job's items now pass on to the jobs above its new place.
        await settle_tree(repo, data, tree_id)
        result = await repo.get_tree(tree_id)
        assert result is not None
        return result
