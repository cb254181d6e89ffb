"""Finding service jobs and trees: filters as SQL conditions, always within the caller's tenant
and facilities, paged by keyset (app/repositories/keyset.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
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
from app.lru import Lru
from app.repositories.keyset import (
    SortKey,
    Window,
    fetch_keyset_page,
    keyset_parameters,
    keyset_statement,
    page_of,
    window_shape,
)
from app.repositories.pagination import Page, count_rows
from app.repositories.tree_reads import (
    LazyRow,
    decoded_rows,
    in_list,
    job_columns,
    job_rows_of,
    kept_statement,
    list_parameter,
    undecoded_column,
)

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


def _contains(column: Any, pattern: Any) -> Any:
    return func.lower(column).like(pattern, escape=LIKE_ESCAPE)


def _between(column: Any, start: Any, end: Any) -> list[Any]:
    """The column within these bounds (values or parameters; None: unbounded)."""
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def _job_name_contains(pattern: Any) -> Any:
    """Any locale of the job's name contains the pattern (each locale read on its own, so a
    term never matches the map's keys)."""
    return or_(
        *(
            _contains(col(JOB.name_localized)[locale].as_string(), pattern)
            for locale in SUPPORTED_LOCALES
        )
    )


def _item_matches(pattern: Any) -> Any:
    """An item's article id, title or one of its scannable codes contains the pattern."""
    return or_(
        _contains(col(ITEM.article)["tenantArticleId"].as_string(), pattern),
        _contains(col(ITEM.article)["title"].as_string(), pattern),
        _contains(cast(col(ITEM.scannable_codes), String), pattern),
    )


def _job_matches(tenant: Any, pattern: Any) -> Any:
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


#: The fields of a ServiceJobFilter (a page's shape names those given, in this order).
FILTER_FIELDS = tuple(field.name for field in fields(ServiceJobFilter))
#: Page statements by shape, apart from the reads' other kept statements: shapes are many
#: (which of sixteen filter fields, the order, the cursors, the columns), and a caller who
#: sends ever new ones makes their statements again without evicting anyone's tree reads.
_PAGES: Lru[tuple[Any, ...], Any] = Lru(256)
#: Filter fields whose value is a list (a job's value is one of them).
_LIST_FIELDS = frozenset({"statuses", "marketplace_ids"})


class _Values:
    """Conditions with the values in them (a statement built for one request)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def value(self, name: str) -> Any:
        return self.values[name]

    def one_of(self, column: Any, name: str) -> Any:
        return column.in_(list(self.values[name]))


class _Parameters:
    """Conditions with named parameters in place of the values (a statement built once per
    shape, see JobSearch.page_rows): a list is one parameter (tree_reads.in_list)."""

    def __init__(self, postgresql: bool) -> None:
        self.postgresql = postgresql

    def value(self, name: str) -> Any:
        return bindparam(name)

    def one_of(self, column: Any, name: str) -> Any:
        return in_list(column, name, self.postgresql)


def _job_conditions(present: Sequence[str], scoped: bool, bind: _Values | _Parameters) -> list[Any]:
    """The conditions of a search within a tenant (and its facilities when `scoped`) with
    these filter fields given (`present`), their values given by `bind`."""
    given = frozenset(present)
    value = bind.value
    conditions: list[Any] = [col(JOB.tenant) == value("tenant")]
    if scoped:
        conditions.append(bind.one_of(col(JOB.facility_ref), "facilities"))
    if "status" in given:
        conditions.append(col(JOB.status) == value("status"))
    if "statuses" in given:
        conditions.append(bind.one_of(col(JOB.status), "statuses"))
    if "facility_ref" in given:
        conditions.append(col(JOB.facility_ref) == value("facility_ref"))
    if "tenant_order_id" in given:
        conditions.append(col(JOB.tenant_order_id) == value("tenant_order_id"))
    if "custom_service_ref" in given:
        conditions.append(col(JOB.custom_service_id) == value("custom_service_ref"))
    if "marketplace_ids" in given:
        conditions.append(bind.one_of(col(JOB.marketplace_id), "marketplace_ids"))

    def bound(name: str) -> Any:
        return value(name) if name in given else None

    conditions += _between(col(JOB.target_time), bound("target_time_from"), bound("target_time_to"))
    conditions += _between(col(JOB.created), bound("created_from"), bound("created_to"))
    conditions += _between(
        col(JOB.last_modified), bound("last_modified_from"), bound("last_modified_to")
    )
    if "assigned_user" in given:
        conditions.append(
            exists().where(
                col(ASSIGNED.tenant) == value("tenant"),
                col(ASSIGNED.service_job_id) == col(JOB.id),
                or_(
                    col(ASSIGNED.user_id) == value("assigned_user"),
                    col(ASSIGNED.username) == value("assigned_user"),
                ),
            )
        )
    if "appointment_from" in given or "appointment_to" in given:
        conditions.append(
            exists().where(
                col(APPOINTMENT.tenant) == value("tenant"),
                col(APPOINTMENT.service_job_id) == col(JOB.id),
                col(APPOINTMENT.status) != "CANCELLED",
                *_between(
                    col(APPOINTMENT.start_time), bound("appointment_from"), bound("appointment_to")
                ),
            )
        )
    if "search_term" in given:
        conditions.append(_job_matches(value("tenant"), value("pattern")))
    return conditions


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

    def values(self, flt: ServiceJobFilter) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The filter fields given, in FILTER_FIELDS' order, and the values of the
        conditions' parameters: the tenant, the facilities of a scoped caller, each given
        field's value (a search term's as its LIKE pattern)."""
        values: dict[str, Any] = {"tenant": self.tenant}
        if self.facilities is not None:
            values["facilities"] = sorted(self.facilities)
        present = tuple(name for name in FILTER_FIELDS if getattr(flt, name) is not None)
        for name in present:
            values[name] = getattr(flt, name)
        if flt.search_term is not None:
            values["pattern"] = like_pattern(flt.search_term)
        return present, values

    def conditions(self, flt: ServiceJobFilter) -> list[Any]:
        present, values = self.values(flt)
        return _job_conditions(present, self.facilities is not None, _Values(values))

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
        items: frozenset[str] | None = None,
    ) -> Page[LazyRow]:
        """A page of driver rows with only these job columns (None: all) besides the id, the
        facility and the sort key, and each job's line items with these item columns when
        `items` is given (see tree_reads.job_columns), in one statement built and compiled
        once per shape (which filter fields are given, scoped or not, the order, which
        cursors, the columns): the values are its parameters."""
        present, values = self.values(flt)
        scoped = self.facilities is not None
        postgresql = reads.postgresql

        def build() -> Any:
            # keyset_statement works on any select; it is typed for the ORM's.
            selected = job_columns(columns, frozenset({key.attribute}), items, postgresql)
            filtered: Any = select(*selected).where(
                *_job_conditions(present, scoped, _Parameters(postgresql))
            )
            return keyset_statement(filtered, key, col(JOB.id), window, bound=True)

        shape = (present, scoped, key.name, key.descending, window_shape(window))
        statement = kept_statement((*shape, columns, items, postgresql), build, _PAGES)
        for name in _LIST_FIELDS.intersection(present):
            values[name] = list_parameter(values[name], postgresql)
        if scoped:
            values["facilities"] = list_parameter(values["facilities"], postgresql)
        names, records = await reads.rows(statement, values | keyset_parameters(key, window))
        return page_of(job_rows_of(names, records, columns, items, postgresql), key, window)

    async def count(self, flt: ServiceJobFilter) -> int:
        result = await self.session.exec(
            model_select(func.count()).select_from(JOB).where(*self.conditions(flt))
        )
        return int(result.one())

    async def count_rows(self, reads: ReadConnection, flt: ServiceJobFilter) -> int:
        """`count` on a read connection (one that takes statements carrying their values)."""
        return await count_rows(reads, JOB, *self.conditions(flt))


class TreeSearch:
    """Pages and counts of linked service jobs trees matching an and/or condition, within a
    tenant and, for a scoped caller, its facilities (a tree lives in one facility), read on a
    read connection (driver rows, no transaction)."""

    def __init__(
        self, reads: ReadConnection, tenant: str, facilities: frozenset[str] | None
    ) -> None:
        self.reads = reads
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

    async def page(self, condition: TreeCondition, key: SortKey, window: Window) -> Page[Any]:
        """A page of the trees found: rows of their ids and sort key values (what the cursors
        are made of; the trees themselves are read whole after)."""
        sort, decode = undecoded_column(key.column)
        statement = select(col(TREE.id), sort).where(*self.scope(), self.condition(condition))
        names, records = await self.reads.rows(
            keyset_statement(statement, key, col(TREE.id), window), {}
        )
        decoders = {} if decode is None else {key.attribute: decode}
        return page_of(decoded_rows(records, names, decoders, names), key, window)

    async def count(self, condition: TreeCondition) -> int:
        return await count_rows(self.reads, TREE, *self.scope(), self.condition(condition))
