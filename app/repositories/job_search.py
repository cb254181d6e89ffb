"""Finding service jobs and trees: filters as SQL conditions, always within the caller's tenant
and facilities, paged by keyset (app/repositories/keyset.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, false, func, or_, select, true
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.db import tables
from app.db.row_reads import ReadConnection
from app.domain.job_search import (
    LIKE_ESCAPE,
    TREE_STATUS_RANK,
    TreeCondition,
    like_pattern,
    tree_status_ranks,
)
from app.domain.localized import SUPPORTED_LOCALES
from app.repositories.keyset import SortKey, Window, fetch_keyset_page
from app.repositories.pagination import Page
from app.repositories.tree_reads import LazyRow, job_columns, job_rows_of

JOB = tables.ServiceJob
TREE = tables.LinkedServiceJobs
ITEM = tables.LineItem
ASSIGNED = tables.ServiceJobAssignedUser
APPOINTMENT = tables.Appointment

#: The orders of `serviceJobs`, by the schema's names.
JOB_SORT_KEYS = {
    "TARGET_TIME": ("target_time", col(JOB.target_time)),
    "LAST_MODIFIED": ("last_modified", col(JOB.last_modified)),
    "CREATED": ("created", col(JOB.created)),
}
#: The orders of `searchLinkedServiceJobs`.
TREE_SORT_KEYS = {
    "TARGET_TIME": ("target_time", col(TREE.target_time)),
    "LAST_MODIFIED": ("last_modified", col(TREE.last_modified)),
}


def job_sort_key(field: str, descending: bool) -> SortKey:
    attribute, column = JOB_SORT_KEYS[field]
    return SortKey(f"job.{attribute}", column, attribute, descending)


def tree_sort_key(field: str, descending: bool) -> SortKey:
    attribute, column = TREE_SORT_KEYS[field]
    return SortKey(f"tree.{attribute}", column, attribute, descending)


@dataclass(frozen=True, slots=True)
class ServiceJobFilter:
    """`serviceJobs`' conditions; all given ones apply."""

    status: str | None = None
    statuses: Sequence[str] | None = None
    facility_ref: str | None = None
    tenant_order_id: str | None = None
    custom_service_ref: str | None = None
    target_time_from: datetime | None = None
    target_time_to: datetime | None = None
    assigned_user: str | None = None
    search_term: str | None = None
    marketplace_ids: Sequence[str] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    last_modified_from: datetime | None = None
    last_modified_to: datetime | None = None
    appointment_from: datetime | None = None
    appointment_to: datetime | None = None


def _contains(column: Any, pattern: str) -> Any:
    return func.lower(column).like(pattern, escape=LIKE_ESCAPE)


def _between(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def _job_name_contains(pattern: str) -> Any:
    """Any locale of the job's name contains the pattern (each locale read on its own, so a
    term never matches the map's keys)."""
    return or_(
        *(
            _contains(col(JOB.name_localized)[locale].as_string(), pattern)
            for locale in SUPPORTED_LOCALES
        )
    )


def _item_matches(pattern: str) -> Any:
    """An item's article id, title or one of its scannable codes contains the pattern."""
    return or_(
        _contains(col(ITEM.article)["tenantArticleId"].as_string(), pattern),
        _contains(col(ITEM.article)["title"].as_string(), pattern),
        _contains(cast(col(ITEM.scannable_codes), String), pattern),
    )


def _job_matches(tenant: str, pattern: str) -> Any:
    """The job's order id, short id, name or one of its items contains the pattern."""
    return or_(
        _contains(col(JOB.tenant_order_id), pattern),
        _contains(col(JOB.short_id), pattern),
        _job_name_contains(pattern),
        exists().where(
            col(ITEM.tenant) == tenant,
            col(ITEM.service_job_id) == col(JOB.id),
            _item_matches(pattern),
        ),
    )


class JobSearch:
    """Pages and counts of service jobs within a tenant and, for a scoped caller, its
    facilities."""

    def __init__(
        self, session: AsyncSession | None, tenant: str, facilities: frozenset[str] | None
    ) -> None:
        #: None when only `page_rows` is used (it reads on the connection it is given).
        self._session = session
        self.tenant = tenant
        self.facilities = facilities

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "this search was made for page_rows alone"
        return self._session

    def conditions(self, flt: ServiceJobFilter) -> list[Any]:
        conditions: list[Any] = [col(JOB.tenant) == self.tenant]
        if self.facilities is not None:
            conditions.append(col(JOB.facility_ref).in_(sorted(self.facilities)))
        if flt.status is not None:
            conditions.append(col(JOB.status) == flt.status)
        if flt.statuses is not None:
            conditions.append(col(JOB.status).in_(list(flt.statuses)))
        if flt.facility_ref is not None:
            conditions.append(col(JOB.facility_ref) == flt.facility_ref)
        if flt.tenant_order_id is not None:
            conditions.append(col(JOB.tenant_order_id) == flt.tenant_order_id)
        if flt.custom_service_ref is not None:
            conditions.append(col(JOB.custom_service_id) == flt.custom_service_ref)
        if flt.marketplace_ids is not None:
            conditions.append(col(JOB.marketplace_id).in_(list(flt.marketplace_ids)))
        conditions += _between(col(JOB.target_time), flt.target_time_from, flt.target_time_to)
        conditions += _between(col(JOB.created), flt.created_from, flt.created_to)
        conditions += _between(col(JOB.last_modified), flt.last_modified_from, flt.last_modified_to)
        if flt.assigned_user is not None:
            conditions.append(
                exists().where(
                    col(ASSIGNED.tenant) == self.tenant,
                    col(ASSIGNED.service_job_id) == col(JOB.id),
                    or_(
                        col(ASSIGNED.user_id) == flt.assigned_user,
                        col(ASSIGNED.username) == flt.assigned_user,
                    ),
                )
            )
        if flt.appointment_from is not None or flt.appointment_to is not None:
            conditions.append(
                exists().where(
                    col(APPOINTMENT.tenant) == self.tenant,
                    col(APPOINTMENT.service_job_id) == col(JOB.id),
                    col(APPOINTMENT.status) != "CANCELLED",
                    *_between(
                        col(APPOINTMENT.start_time), flt.appointment_from, flt.appointment_to
                    ),
                )
            )
        if flt.search_term is not None:
            conditions.append(_job_matches(self.tenant, like_pattern(flt.search_term)))
        return conditions

    def statement(self, flt: ServiceJobFilter) -> SelectOfScalar[tables.ServiceJob]:
        return model_select(JOB).where(*self.conditions(flt))

    async def page(
        self, flt: ServiceJobFilter, key: SortKey, window: Window
    ) -> Page[tables.ServiceJob]:
        statement = self.statement(flt)
        return await fetch_keyset_page(self.session, statement, key, col(JOB.id), window)

    async def page_rows(
        self,
        reads: ReadConnection,
        flt: ServiceJobFilter,
        key: SortKey,
        window: Window,
        columns: frozenset[str] | None,
    ) -> Page[LazyRow]:
        """A page of driver rows with only these job columns (None: all) besides the id, the
        facility and the sort key (see tree_reads.job_columns), read on `reads` (a connection
        that takes any statement: the conditions carry their values)."""
        # keyset_statement works on any select; it is typed for the ORM's.
        statement: Any = select(*job_columns(columns, frozenset({key.attribute}))).where(
            *self.conditions(flt)
        )

        async def read(final: Any) -> list[LazyRow]:
            names, records = await reads.rows(final, {})
            return job_rows_of(names, records, columns)

        return await fetch_keyset_page(None, statement, key, col(JOB.id), window, read)

    async def count(self, flt: ServiceJobFilter) -> int:
        result = await self.session.exec(
            model_select(func.count()).select_from(JOB).where(*self.conditions(flt))
        )
        return int(result.one())


class TreeSearch:
    """Pages and counts of linked service jobs trees matching an and/or condition, within a
    tenant and, for a scoped caller, its facilities (a tree lives in one facility)."""

    def __init__(
        self, session: AsyncSession, tenant: str, facilities: frozenset[str] | None
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.facilities = facilities

    def scope(self) -> list[Any]:
        conditions: list[Any] = [col(TREE.tenant) == self.tenant]
        if self.facilities is not None:
            conditions.append(col(TREE.facility_ref).in_(sorted(self.facilities)))
        return conditions

    def _any_job(self, *where: Any) -> Any:
        return exists().where(
            col(JOB.tenant) == self.tenant,
            col(JOB.linked_service_jobs_id) == col(TREE.id),
            *where,
        )

    def _status_rank(self) -> Any:
        """The tree's derived status as the lowest rank of its jobs (see TREE_STATUS_RANK)."""
        rank = case(
            *((col(JOB.status) == s.value, r) for s, r in TREE_STATUS_RANK.items()),
            else_=len(TREE_STATUS_RANK) + 1,
        )
        return (
            select(func.min(rank))
            .where(col(JOB.tenant) == self.tenant, col(JOB.linked_service_jobs_id) == col(TREE.id))
            .scalar_subquery()
        )

    def condition(self, condition: TreeCondition) -> Any:
        """One object of the search: its own conditions, all of `and`, any of `or`."""
        parts: list[Any] = []
        if condition.statuses is not None:
            ranks = tree_status_ranks(condition.statuses)
            parts.append(self._status_rank().in_(ranks) if ranks else false())
        if condition.facility_ref is not None:
            parts.append(col(TREE.facility_ref) == condition.facility_ref)
        if condition.tenant_order_id is not None:
            parts.append(col(TREE.tenant_order_id) == condition.tenant_order_id)
        if condition.service_name is not None:
            parts.append(self._any_job(_job_name_contains(like_pattern(condition.service_name))))
        if condition.article_title is not None:
            parts.append(
                exists().where(
                    col(ITEM.tenant) == self.tenant,
                    col(ITEM.linked_service_jobs_id) == col(TREE.id),
                    _contains(
                        col(ITEM.article)["title"].as_string(),
                        like_pattern(condition.article_title),
                    ),
                )
            )
        if condition.search_term is not None:
            pattern = like_pattern(condition.search_term)
            parts.append(
                or_(
                    _contains(col(TREE.tenant_order_id), pattern),
                    self._any_job(_job_matches(self.tenant, pattern)),
                )
            )
        parts += _between(
            col(TREE.target_time), condition.target_time_from, condition.target_time_to
        )
        parts += _between(
            col(TREE.last_modified), condition.last_modified_from, condition.last_modified_to
        )
        parts += [self.condition(child) for child in condition.all_of]
        if condition.any_of:
            parts.append(or_(*(self.condition(child) for child in condition.any_of)))
        return and_(true(), *parts)

    def statement(self, condition: TreeCondition) -> SelectOfScalar[tables.LinkedServiceJobs]:
        return model_select(TREE).where(*self.scope(), self.condition(condition))

    async def page(
        self, condition: TreeCondition, key: SortKey, window: Window
    ) -> Page[tables.LinkedServiceJobs]:
        statement = self.statement(condition)
        return await fetch_keyset_page(self.session, statement, key, col(TREE.id), window)

    async def count(self, condition: TreeCondition) -> int:
        result = await self.session.exec(
            model_select(func.count())
            .select_from(TREE)
            .where(*self.scope(), self.condition(condition))
        )
        return int(result.one())
