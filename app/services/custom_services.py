"""Creating and changing custom services (DOMAIN §1)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from app.db import tables
from app.db.engine import SessionFactory
from app.domain import prerequisites
from app.domain.access import Viewer
from app.domain.custom_services import (
    MAX_ADDITIONAL_INFORMATION,
    AdditionalInformationDraft,
    CustomServiceFields,
    check_additional_information_item,
    check_custom_service_fields,
)
from app.domain.errors import (
    DomainError,
    ErrorCode,
    Problem,
    Problems,
    conflict,
    limit_exceeded,
    not_found,
    validation_failed,
    version_conflict,
)
from app.domain.versioning import check_version
from app.repositories.custom_services import CustomServiceRepository
from app.services import transaction
from app.services.serialization import article_items_to_json, fields_from_row

UPDATABLE_FIELDS = frozenset(
    f.name for f in dataclasses.fields(CustomServiceFields) if f.name != "additional_information"
)


def _new_id() -> str:
    return str(uuid.uuid4())


async def create_custom_service(
    db: SessionFactory, viewer: Viewer, fields: CustomServiceFields, *, ident: str | None = None
) -> tables.CustomService:
    viewer.require_tenant_wide("create custom services")
    problems = Problems()
    check_custom_service_fields(fields, problems)
    problems.raise_if_any()

    async with transaction(db) as session:
        repo = CustomServiceRepository(session, viewer.tenant)
        service_id = ident or _new_id()
        if ident is not None and await repo.get(ident) is not None:
            raise conflict(f"A custom service with id {ident!r} already exists.", "id")
        await _check_tenant_ref_free(repo, fields.tenant_custom_service_id, None)
        await _check_prerequisites(
            repo, service_id, fields.required_custom_service_ids, fields.tenant_custom_service_id
        )
        row = tables.CustomService(id=service_id, tenant=viewer.tenant, **_columns(fields))
        await repo.add(row)
        await repo.add_additional_information(
            [
                _additional_information_row(viewer.tenant, service_id, position, draft)
                for position, draft in enumerate(fields.additional_information)
            ]
        )
        if fields.required_custom_service_ids:
            await repo.replace_requirements(service_id, fields.required_custom_service_ids)
        return row


async def update_custom_service(
    db: SessionFactory,
    viewer: Viewer,
    ident: str,
    version: int,
    changes: Mapping[str, Any],
) -> tables.CustomService:
    """Change the given fields (keys of CustomServiceFields); absent keys stay as they are."""
    viewer.require_tenant_wide("change custom services")
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if not changes:
        raise validation_failed("Name at least one field to change.", None)

    async with transaction(db) as session:
        repo = CustomServiceRepository(session, viewer.tenant)
        row = await _get_at_version(repo, ident, version)
        required_now = (await repo.requirements([ident]))[ident]
        merged = dataclasses.replace(
            fields_from_row(row, required_now, additional_information=()), **changes
        )
        problems = Problems()
        check_custom_service_fields(merged, problems)
        problems.raise_if_any()
        await _check_tenant_ref_free(repo, merged.tenant_custom_service_id, ident)
        if "required_custom_service_ids" in changes:
            await _check_prerequisites(
                repo, ident, merged.required_custom_service_ids, merged.tenant_custom_service_id
            )
            await repo.replace_requirements(ident, merged.required_custom_service_ids)
        values = {k: v for k, v in _columns(merged).items() if k in changes}
        return await _bump(repo, ident, version, values)


async def add_additional_information(
    db: SessionFactory,
    viewer: Viewer,
    service_id: str,
    version: int,
    draft: AdditionalInformationDraft,
) -> tuple[tables.CustomService, tables.CustomServiceAdditionalInformation]:
    viewer.require_tenant_wide("change custom services")
    _check_draft(draft)
    async with transaction(db) as session:
        repo = CustomServiceRepository(session, viewer.tenant)
        await _get_at_version(repo, service_id, version)
        existing = (await repo.additional_information([service_id]))[service_id]
        if len(existing) >= MAX_ADDITIONAL_INFORMATION:
            raise limit_exceeded(
                f"A custom service has at most {MAX_ADDITIONAL_INFORMATION} additional "
                "information entries.",
                "additionalInformation",
            )
        _check_tenant_ai_ref_free(existing, draft.tenant_additional_information_id, None)
        position = max((r.position for r in existing), default=-1) + 1
        ai_row = _additional_information_row(viewer.tenant, service_id, position, draft)
        await repo.add_additional_information([ai_row])
        return await _bump(repo, service_id, version, {}), ai_row


async def replace_additional_information(
    db: SessionFactory,
    viewer: Viewer,
    service_id: str,
    version: int,
    additional_information_id: str,
    draft: AdditionalInformationDraft,
) -> tuple[tables.CustomService, tables.CustomServiceAdditionalInformation]:
    viewer.require_tenant_wide("change custom services")
    _check_draft(draft)
    async with transaction(db) as session:
        repo = CustomServiceRepository(session, viewer.tenant)
        await _get_at_version(repo, service_id, version)
        existing = (await repo.additional_information([service_id]))[service_id]
        target = next((r for r in existing if r.id == additional_information_id), None)
        if target is None:
            raise not_found(
                "Additional information", additional_information_id, "additionalInformationId"
            )
        _check_tenant_ai_ref_free(
            existing, draft.tenant_additional_information_id, additional_information_id
        )
        replacement = _additional_information_row(viewer.tenant, service_id, target.position, draft)
        for column in (
            "name_localized",
            "description_localized",
            "value_type",
            "is_mandatory",
            "tenant_additional_information_id",
        ):
            setattr(target, column, getattr(replacement, column))
        session.add(target)
        await session.flush()
        return await _bump(repo, service_id, version, {}), target


async def delete_additional_information(
    db: SessionFactory,
    viewer: Viewer,
    service_id: str,
    version: int,
    additional_information_id: str,
) -> tables.CustomService:
    viewer.require_tenant_wide("change custom services")
    async with transaction(db) as session:
        repo = CustomServiceRepository(session, viewer.tenant)
        await _get_at_version(repo, service_id, version)
        existing = (await repo.additional_information([service_id]))[service_id]
        if not any(r.id == additional_information_id for r in existing):
            raise not_found(
                "Additional information", additional_information_id, "additionalInformationId"
            )
        await repo.delete_additional_information(additional_information_id)
        return await _bump(repo, service_id, version, {})


# helpers


def _check_draft(draft: AdditionalInformationDraft) -> None:
    problems = Problems()
    check_additional_information_item(draft, "additionalInformation", problems)
    problems.raise_if_any()


async def _get_at_version(
    repo: CustomServiceRepository, ident: str, version: int
) -> tables.CustomService:
    row = await repo.get(ident)
    if row is None:
        raise not_found("Custom service", ident)
    check_version("The custom service", version, row.version)
    return row


async def _bump(
    repo: CustomServiceRepository, ident: str, version: int, values: Mapping[str, Any]
) -> tables.CustomService:
    if not await repo.update_if_version(ident, version, values):
        current = await repo.reload(ident)
        raise version_conflict("The custom service", version, current.version)
    return await repo.reload(ident)


async def _check_tenant_ref_free(
    repo: CustomServiceRepository, ref: str | None, own_id: str | None
) -> None:
    if ref is None:
        return
    other = await repo.get_by_tenant_ref(ref)
    if other is not None and other.id != own_id:
        raise conflict(
            f"tenantCustomServiceId {ref!r} is already used by another custom service.",
            "tenantCustomServiceId",
        )


def _check_tenant_ai_ref_free(
    existing: Sequence[tables.CustomServiceAdditionalInformation],
    ref: str | None,
    own_id: str | None,
) -> None:
    if ref is None:
        return
    if any(r.tenant_additional_information_id == ref and r.id != own_id for r in existing):
        raise conflict(
            f"tenantAdditionalInformationId {ref!r} is already used on this custom service.",
            "additionalInformation.tenantAdditionalInformationId",
        )


async def _check_prerequisites(
    repo: CustomServiceRepository,
    service_id: str,
    required_ids: Sequence[str],
    own_label: str | None,
) -> None:
    if not required_ids:
        return
    found = await repo.get_many(required_ids)
    missing = [
        Problem(
            ErrorCode.NOT_FOUND,
            f"Required custom service {ident!r} was not found.",
            f"requiredCustomServices.{index}",
        )
        for index, ident in enumerate(required_ids)
        if ident not in found
    ]
    if missing:
        raise DomainError(missing)
    graph = await repo.requirement_graph()
    involved = set(graph) | {i for v in graph.values() for i in v} | {service_id}
    labels = {
        i: r.tenant_custom_service_id or i for i, r in (await repo.get_many(involved)).items()
    }
    labels[service_id] = own_label or service_id
    prerequisites.check_prerequisites(service_id, required_ids, graph, labels)


def _columns(fields: CustomServiceFields) -> dict[str, Any]:
    return {
        "tenant_custom_service_id": fields.tenant_custom_service_id,
        "status": fields.status.value,
        "name_localized": dict(fields.name_localized),
        "description_localized": (
            dict(fields.description_localized) if fields.description_localized else None
        ),
        "execution_time_in_min": fields.execution_time_in_min,
        "items_returnable": fields.items_returnable,
        "items_required": fields.items_required.value,
        "article_items": article_items_to_json(fields.article_items),
        "custom_attributes": (
            dict(fields.custom_attributes) if fields.custom_attributes is not None else None
        ),
    }


def _additional_information_row(
    tenant: str, service_id: str, position: int, draft: AdditionalInformationDraft
) -> tables.CustomServiceAdditionalInformation:
    return tables.CustomServiceAdditionalInformation(
        id=_new_id(),
        tenant=tenant,
        custom_service_id=service_id,
        position=position,
        tenant_additional_information_id=draft.tenant_additional_information_id,
        name_localized=dict(draft.name_localized),
        description_localized=(
            dict(draft.description_localized) if draft.description_localized else None
        ),
        value_type=draft.value_type.value,
        is_mandatory=draft.is_mandatory,
    )
