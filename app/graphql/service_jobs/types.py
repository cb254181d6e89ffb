"""Output types of service jobs and of the trees they are linked in (a job names its tree and
its link, a link its job: the types nest each other, so they are defined together). A tree's
objects are built once per request from one tree snapshot, so that every nested field resolves
from memory."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from app.domain.custom_services import MAX_ADDITIONAL_INFORMATION
from app.domain.job_status import JobStatus, derive_tree_status
from app.domain.service_jobs import MAX_ASSIGNED_USERS, MAX_LINE_ITEMS
from app.domain.trees import inherited_from
from app.graphql.appointments.types import APPOINTMENTS_OF_JOBS
from app.graphql.common.articles import ArticleItem
from app.graphql.common.build import build, read_through
from app.graphql.common.scalars import JSONObject, LocalizedText
from app.graphql.context import Context
from app.graphql.cost import bounded
from app.graphql.custom_services.enums import AdditionalInformationValueType
from app.graphql.custom_services.types import LocaleArg, localized
from app.graphql.read_path.relations import LINE_ITEMS_OF_JOBS, distinct
from app.graphql.read_path.sources import (
    StepAside,
    attached,
    localized_text,
    read_whole,
    reads,
    row_fields,
    row_value,
)
from app.graphql.service_jobs.details import (
    AssignedUser,
    CancelReason,
    ServiceJobAdditionalInformation,
    StatusInformation,
)
from app.graphql.service_jobs.enums import ServiceJobStatus, ServiceJobSubStatus
from app.graphql.service_jobs.line_items import (
    InheritedLineItem,
    LineItem,
    TreeInheritedLineItem,
    TreeLineItem,
)
from app.graphql.service_jobs.service_data import (
    SERVICE_DATA_OF_JOBS,
    SERVICE_DATA_OF_TREES,
    ServiceData,
    service_data_held,
    service_data_of_tree,
)
from app.repositories.tree_reads import TreeSnapshot

if TYPE_CHECKING:
    from app.graphql.appointments.types import Appointment

AppointmentsModule = "app.graphql.appointments.types"


def _answer(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _inherited_in_snapshot(job: Any) -> list[InheritedLineItem]:
    snapshot = job._snapshot
    if snapshot is None:
        raise StepAside
    return job.inherited_in(snapshot)  # type: ignore[no-any-return]


#: Members by name (a C-level lookup; indexing the Enum class runs Python code).
_STATUSES = ServiceJobStatus.__members__


def _sub_status(row: Any) -> ServiceJobSubStatus | None:
    return ServiceJobSubStatus[row.sub_status] if row.sub_status else None


def _tree_view_of(job: Any) -> TreeView:
    reference = job._tree_view
    view = None if reference is None else reference()
    if view is None:
        raise StepAside
    return view  # type: ignore[no-any-return]


def _tree_of(job: Any) -> LinkedServiceJobs:
    return _tree_view_of(job).tree


def _link_of(job: Any) -> ServiceJobLink:
    view = _tree_view_of(job)
    return view.links[view.snapshot.shape.link_of_job[str(job.id)]]


async def _attach_snapshots(context: Any, jobs: Sequence[Any]) -> None:
    """Attaches its tree's snapshot to every job of a level without one, reading the trees
    not read yet at once (three statements however many, by the request's tree loader,
    which the resolvers share)."""
    unread = distinct(str(job.linked_service_jobs_ref) for job in jobs if job._snapshot is None)
    if not unread:
        return
    found = await context.loaders.trees(unread)
    for job in jobs:
        if job._snapshot is None:
            snapshot = found[str(job.linked_service_jobs_ref)]
            if snapshot is None:  # a visible job's tree is visible: graphql-core says why not
                raise StepAside
            job._snapshot = snapshot


async def _attach_tree_views(context: Any, jobs: Sequence[Any]) -> list[Any]:
    """Attaches the view of its tree to every job of a level without one (_attach_snapshots);
    returns the jobs."""
    missing = [job for job in jobs if job._tree_view is None]
    await _attach_snapshots(context, missing)
    views = context.loaders.tree_views
    for job in missing:
        job._tree_view = weakref.ref(view_of_snapshot(job._snapshot, views))
    return list(jobs)


class SnapshotsOfJobs:
    """`ServiceJob.inheritedLineItems` outside a tree: the trees of every job of a level,
    read at once, whose line items the field reads (a tree read whole holds them)."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        await _attach_snapshots(context, parents)
        return ()


SNAPSHOTS_OF_JOBS = SnapshotsOfJobs()


class TreesOfJobs:
    """`ServiceJob.linkedServiceJobs`: the trees of every job of a level, read at once."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        jobs = await _attach_tree_views(context, parents)
        return list({id(tree): tree for tree in map(_tree_of, jobs)}.values())


class LinksOfJobs:
    """`ServiceJob.serviceJobLink`: the links of every job of a level, their trees read at
    once."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        return [_link_of(job) for job in await _attach_tree_views(context, parents)]


TREES_OF_JOBS = TreesOfJobs()
LINKS_OF_JOBS = LinksOfJobs()


@strawberry.type(description="An instance of a custom service in a facility.")
class ServiceJob:
    # Each field's metadata says which columns of the job's row it reads (reads(...)): a row
    # read selects only those of the fields a document asks for.
    id: strawberry.ID = strawberry.field(description="Id of the service job.", metadata=reads("id"))
    status: ServiceJobStatus = strawberry.field(
        description="Where the job stands.",
        metadata=reads("status", made=lambda row: _STATUSES[row.status]),
    )
    facility_ref: str = strawberry.field(
        description="The facility that does the job.", metadata=reads("facility_ref")
    )
    target_time: datetime = strawberry.field(
        description="When the job should be done (UTC).", metadata=reads("target_time")
    )
    process_ref: str = strawberry.field(
        description="The process the job belongs to.", metadata=reads("process_ref")
    )
    operative_process_ref: str | None = strawberry.field(
        description="The operative process.", metadata=reads("operative_process_ref")
    )
    short_id: str | None = strawberry.field(
        description="A short id for people.", metadata=reads("short_id")
    )
    tenant_order_id: str | None = strawberry.field(
        description="The order it belongs to.", metadata=reads("tenant_order_id")
    )
    custom_service_ref: strawberry.ID | None = strawberry.field(
        description="The custom service it was made from.", metadata=reads("custom_service_id")
    )
    tenant_custom_service_id: str | None = strawberry.field(
        description="The tenant's id of that custom service, as it was when the job was made "
        "(copied, like the service's other fields); null if it had none.",
        metadata=reads("tenant_custom_service_id"),
    )
    linked_service_jobs_ref: strawberry.ID = strawberry.field(
        description="Its tree.", metadata=reads("linked_service_jobs_id")
    )
    name_localized: LocalizedText = strawberry.field(
        description="Name, per locale (copied).", metadata=reads("name_localized")
    )
    description_localized: LocalizedText | None = strawberry.field(
        description="Description, per locale (copied).", metadata=reads("description_localized")
    )
    items_required: str = strawberry.field(
        description="MANDATORY or NONE (copied).", metadata=reads("items_required")
    )
    items_returnable: bool = strawberry.field(
        description="Whether items can be returned.", metadata=reads("items_returnable")
    )
    execution_time_in_min: int | None = strawberry.field(
        description="Duration: the facility connection's, else the service's.",
        metadata=reads("execution_time_in_min"),
    )
    custom_attributes: JSONObject | None = strawberry.field(
        description="Free-form attributes.", metadata=reads("custom_attributes")
    )
    marketplace_id: str | None = strawberry.field(
        description="Marketplace of the job, if any.", metadata=reads("marketplace_id")
    )
    service_type: str | None = strawberry.field(
        description="Service type, e.g. heavybulky.", metadata=reads("service_type")
    )
    sub_status: ServiceJobSubStatus | None = strawberry.field(
        description="Why a NOT_READY job that needs items waits for them: LINE_ITEMS_MISSING, "
        "or REQUIRED_LINE_ITEMS_UNFULFILLABLE when the tree's service data cannot provide them; "
        "null once they are there (its own, selected, or passed on from the jobs beneath).",
        metadata=reads("sub_status", made=_sub_status),
    )
    created: datetime = strawberry.field(
        description="When it was created (UTC).", metadata=reads("created")
    )
    last_modified: datetime = strawberry.field(
        description="When it last changed (UTC).", metadata=reads("last_modified")
    )
    version: int = strawberry.field(
        description="Optimistic-locking version.", metadata=reads("version")
    )
    _row: strawberry.Private[Any]
    #: Driver rows of the job's line items when its tree is loaded whole.
    _line_item_rows: strawberry.Private[list[Any] | None] = None
    _snapshot: strawberry.Private[TreeSnapshot | None] = None
    #: Its appointments when a level's read attached them (APPOINTMENTS_OF_JOBS).
    _appointments: strawberry.Private[list[Any] | None] = None
    #: Its inherited line items, with the snapshot they were made of (inherited_in).
    _inherited: strawberry.Private[tuple[TreeSnapshot, list[Any]] | None] = None
    #: A weak reference to the view of its tree when a level's read attached it
    #: (TREES_OF_JOBS): the request's tree views keep the view, and a job of the tree itself
    #: must not keep it (a reference cycle would outlive the request).
    _tree_view: strawberry.Private[Any] = None
    #: Its tree's service data when a level's read attached it (SERVICE_DATA_OF_JOBS), in a
    #: 1-tuple (None is a value: a tree without any).
    _service_data: strawberry.Private[Any] = None

    # Nested details are computed when asked for: a tree read builds a thousand jobs.

    @strawberry.field(
        description="Every target time the job was given, oldest first.",
        metadata=reads("target_time_history"),
    )
    def target_times(self) -> list[datetime]:
        return [datetime.fromisoformat(t["targetTime"]) for t in self._row.target_time_history]

    @strawberry.field(
        description="The questions of the job with their answers.",
        metadata=reads("additional_information", "additional_information_values")
        | bounded(MAX_ADDITIONAL_INFORMATION),
    )
    def additional_information(self) -> list[ServiceJobAdditionalInformation]:
        values = self._row.additional_information_values or {}
        return [
            ServiceJobAdditionalInformation(
                id=strawberry.ID(q["id"]),
                tenant_additional_information_id=q.get("tenantAdditionalInformationId"),
                name_localized=LocalizedText(q["nameLocalized"]),
                description_localized=(
                    LocalizedText(q["descriptionLocalized"])
                    if q.get("descriptionLocalized")
                    else None
                ),
                value_type=AdditionalInformationValueType[q["valueType"]],
                is_mandatory=bool(q.get("isMandatory")),
                value=_answer(values.get(q["id"])),
            )
            for q in self._row.additional_information or ()
        ]

    @strawberry.field(
        description="Items the job requires (the service's article items, and in orders those "
        "of the jobs beneath it).",
        metadata=reads("required_line_items") | bounded(MAX_LINE_ITEMS),
    )
    def required_line_items(self) -> list[ArticleItem]:
        return [ArticleItem.from_json(i) for i in self._row.required_line_items or ()]

    @strawberry.field(
        description="Users assigned (≤ 10).",
        metadata=reads("assigned_users") | bounded(MAX_ASSIGNED_USERS),
    )
    def assigned_users(self) -> list[AssignedUser]:
        return [
            AssignedUser(user_id=u.get("userId"), username=u.get("username"))
            for u in self._row.assigned_users or ()
        ]

    @strawberry.field(
        description="Status and the reason of its last change.",
        metadata=reads(
            "status",
            "status_reason",
            "status_reason_localized",
            "status_reason_code",
            "last_modified",
        ),
    )
    def status_information(self) -> StatusInformation:
        return StatusInformation(
            status=ServiceJobStatus[self._row.status],
            reason=self._row.status_reason,
            cancel_reason=CancelReason.of_row(self._row),
            last_modified=self._row.last_modified,
        )

    @strawberry.field(
        description="The name in the caller's locale.",
        metadata=reads("name_localized", getter=localized_text("name_localized", required=True)),
    )
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(
        description="The description in the caller's locale.",
        metadata=reads("description_localized", getter=localized_text("description_localized")),
    )
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)

    @strawberry.field(
        description="The service data of the job's tree.",
        metadata=reads(
            "linked_service_jobs_id",
            getter=row_value(service_data_held),
            relation=SERVICE_DATA_OF_JOBS,
        ),
    )
    async def service_data(self, info: strawberry.Info[Context, None]) -> ServiceData | None:
        if self._service_data is not None:
            return self._service_data[0]  # type: ignore[no-any-return]
        return await service_data_of_tree(info.context, str(self.linked_service_jobs_ref))

    @strawberry.field(
        description="The job's appointments, oldest first.",
        metadata=reads(getter=attached("_appointments"), relation=APPOINTMENTS_OF_JOBS),
    )
    async def appointments(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Appointment, strawberry.lazy(AppointmentsModule)]]:
        from app.graphql.appointments.types import Appointment

        if self._appointments is not None:
            return self._appointments
        rows = await info.context.loaders.appointments_by_job_id.load(str(self.id))
        return [Appointment.from_row(row) for row in rows]

    @strawberry.field(
        description="The job's line items (≤ 50): those it was created with and, one per item, "
        "the units it selected from its tree's service data (they leave on unselect).",
        metadata=reads(
            # attached by its tree's read, or by LINE_ITEMS_OF_JOBS
            getter=attached("_line_item_rows"),
            relation=LINE_ITEMS_OF_JOBS,
            line_items=(),
        )
        | bounded(MAX_LINE_ITEMS),
    )
    async def line_items(self, info: strawberry.Info[Context, None]) -> list[LineItem]:
        if self._line_item_rows is not None:
            return [TreeLineItem.of(row) for row in self._line_item_rows]
        loaders, key = info.context.loaders, str(self.id)
        built = loaders.built_line_items.get(key)
        if built is None:
            rows = await loaders.line_items_by_job_id.load(key)
            # Built once per job and request (looked up again: other fields asking for the
            # same job's items waited for the same load): a document that asks for them under
            # many aliases shares them.
            built = loaders.built_line_items.get(key)
            if built is None:
                built = loaders.built_line_items[key] = [LineItem.from_row(r) for r in rows]
        return built

    async def _tree(self, info: strawberry.Info[Context, None]) -> TreeSnapshot:
        if self._snapshot is None:
            snapshot = await info.context.loaders.tree_by_id.load(str(self.linked_service_jobs_ref))
            assert snapshot is not None, "a visible job's tree is visible"
            self._snapshot = snapshot
        return self._snapshot

    @strawberry.field(
        description="Line items of every job beneath this one in its tree, with their origin: "
        "passed on to this job, they count towards its requiredLineItems.",
        metadata=reads(
            "linked_service_jobs_id",
            getter=row_value(_inherited_in_snapshot),
            relation=SNAPSHOTS_OF_JOBS,
            line_items=("article", "quantity", "scannable_codes"),
        ),
    )
    async def inherited_line_items(
        self, info: strawberry.Info[Context, None]
    ) -> list[InheritedLineItem]:
        return self.inherited_in(await self._tree(info))

    def inherited_in(self, snapshot: TreeSnapshot) -> list[InheritedLineItem]:
        """The line items of every job beneath this one in `snapshot` (its tree), made once
        per job and request however many times a document asks for them (aliases)."""
        made = self._inherited
        if made is None or made[0] is not snapshot:
            items = [
                TreeInheritedLineItem.of(job_id, row)
                for job_id in inherited_from(snapshot.shape, str(self.id))
                for row in snapshot.line_items_of(job_id)
            ]
            made = self._inherited = (snapshot, items)
        return made[1]

    @strawberry.field(
        description="The tree the job belongs to.",
        metadata=reads(
            "linked_service_jobs_id",
            getter=row_value(_tree_of),
            relation=TREES_OF_JOBS,
            tree_parts=True,
        ),
    )
    async def linked_service_jobs(self, info: strawberry.Info[Context, None]) -> LinkedServiceJobs:
        return view_of_snapshot(await self._tree(info), info.context.loaders.tree_views).tree

    @strawberry.field(
        description="The job's link in its tree.",
        metadata=reads(
            "linked_service_jobs_id",
            getter=row_value(_link_of),
            relation=LINKS_OF_JOBS,
            tree_parts=True,
        ),
    )
    async def service_job_link(self, info: strawberry.Info[Context, None]) -> ServiceJobLink:
        view = view_of_snapshot(await self._tree(info), info.context.loaders.tree_views)
        return view.links[view.snapshot.shape.link_of_job[str(self.id)]]

    @classmethod
    def from_row(cls, row: Any) -> ServiceJob:
        """From an ORM row or a driver row of the service_job table."""
        return build(
            cls,
            **{name: getattr(row, column) for name, column in COLUMN_OF_FIELD.items()},
            **{name: convert(row) for name, convert in CONVERTED_FIELDS.items()},
            _row=row,
            _line_item_rows=None,
            _snapshot=None,
            _appointments=None,
            _tree_view=None,
            _service_data=None,
        )


class TreeServiceJob(ServiceJob):
    """A ServiceJob of a tree read whole, whose fields read through to its row (a tree read
    builds a thousand jobs, and a query reads a few fields of each): plain columns through
    C-level getters, the rest converted when read."""


#: How a ServiceJob is made of its row, from its fields' sources: the fields that are a column
#: as it is, and those converted (an enum from its name).
COLUMN_OF_FIELD, CONVERTED_FIELDS = row_fields(ServiceJob)

for _field, _column in COLUMN_OF_FIELD.items():
    setattr(TreeServiceJob, _field, property(attrgetter(f"_row.{_column}")))
for _field, _convert in CONVERTED_FIELDS.items():
    setattr(TreeServiceJob, _field, read_through(_convert))


@strawberry.type(description="A job's place in its tree. Links beneath it are its prerequisites.")
class ServiceJobLink:
    id: strawberry.ID = strawberry.field(description="Id of the link.")
    service_job_ref: strawberry.ID = strawberry.field(description="The job of this link.")
    service_job: ServiceJob = strawberry.field(description="The job of this link.")
    previous_service_job_link_ref: strawberry.ID | None = strawberry.field(
        description="The link this one sits beneath (whose job runs after this one); null at "
        "the root level."
    )
    depth: int = strawberry.field(description="1 at the root level, at most 25.")
    next_service_job_links: list[ServiceJobLink] = strawberry.field(
        description="Links beneath this one: their jobs run first."
    )


@read_whole
@strawberry.type(description="A tree of service jobs linked by their dependencies.")
class LinkedServiceJobs:
    id: strawberry.ID = strawberry.field(description="Id of the tree.")
    process_ref: str = strawberry.field(description="The process of the tree.")
    facility_ref: str = strawberry.field(description="The facility of every job in the tree.")
    target_time: datetime = strawberry.field(description="Target time of the tree (UTC).")
    tenant_order_id: str | None = strawberry.field(description="The order it came from.")
    status: ServiceJobStatus = strawberry.field(
        description="Derived from the jobs: any IN_PROGRESS or WAITING_FOR_INPUT → IN_PROGRESS; "
        "else any OPEN → OPEN; else any NOT_READY → NOT_READY; else FINISHED if any, else "
        "CANCELLED if any, else OBSOLETE."
    )
    service_job_links: list[ServiceJobLink] = strawberry.field(
        description="Root-level links (their jobs run last), each with the links beneath."
    )
    all_service_job_links: list[ServiceJobLink] = strawberry.field(
        description="Every link once, parents before children, with its parent and depth."
    )
    included_service_job_refs: list[strawberry.ID] = strawberry.field(
        description="Every job of the tree."
    )
    included_service_job_link_ids: list[strawberry.ID] = strawberry.field(
        description="Every link of the tree."
    )
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")
    version: int = strawberry.field(description="Bumps on every change inside the tree.")

    #: Its service data when a level's read attached it (SERVICE_DATA_OF_TREES), in a 1-tuple.
    _service_data: strawberry.Private[tuple[ServiceData | None] | None] = None

    @strawberry.field(
        description="The items of the tree and which jobs use them.",
        metadata=reads(getter=row_value(service_data_held), relation=SERVICE_DATA_OF_TREES),
    )
    async def service_data(self, info: strawberry.Info[Context, None]) -> ServiceData | None:
        if self._service_data is not None:
            return self._service_data[0]
        return await service_data_of_tree(info.context, str(self.id))


@dataclass(slots=True, weakref_slot=True)
class TreeView:
    snapshot: TreeSnapshot
    tree: LinkedServiceJobs
    links: dict[str, ServiceJobLink]


def view_of_snapshot(snapshot: TreeSnapshot, cache: dict[int, Any]) -> TreeView:
    """The GraphQL objects of a snapshot, built once per request (`cache` is the request's).
    The cache lives outside the snapshot so that no reference cycle keeps a tree alive: a
    request's objects are freed by reference counting as soon as it is answered."""
    cached = cache.get(id(snapshot))
    if cached is not None:
        assert isinstance(cached, TreeView)
        return cached
    shape = snapshot.shape
    items = snapshot.items_by_job
    # The jobs and links are built as `build` builds them, inline: a tree has a thousand of
    # each, and a call with keyword arguments per object cost a tenth of building the view.
    # A job reads through to its row; its line items are None when the tree was read without
    # them (they are then loaded by job); the relations' private fields keep their class
    # defaults (None) until a level's read attaches them.
    new = object.__new__
    jobs: dict[str, Any] = {}
    for job_id, row in snapshot.jobs.items():
        job = jobs[job_id] = new(TreeServiceJob)
        job.__dict__ = {
            "_row": row,
            "_line_item_rows": None if items is None else items.get(job_id, []),
            "_snapshot": snapshot,
        }
    links: dict[str, ServiceJobLink] = {}
    order: list[str] = []  # parents before children, siblings in order
    shape_links, children = shape.links, shape.children
    # Depth first from the root level; a link's parent is built before it.
    stack: list[tuple[str, int]] = [(root, 1) for root in reversed(children.get(None, ()))]
    while stack:
        link_id, depth = stack.pop()
        link = shape_links[link_id]
        links[link_id] = built = new(ServiceJobLink)
        built.__dict__ = {
            "id": link_id,
            "service_job_ref": link.job_id,
            "service_job": jobs[link.job_id],
            "previous_service_job_link_ref": link.parent_id,
            "depth": depth,
            "next_service_job_links": [],
        }
        order.append(link_id)
        if link.parent_id is not None:
            links[link.parent_id].next_service_job_links.append(built)
        below = children.get(link_id)
        if below:
            stack.extend((child, depth + 1) for child in reversed(below))
    row = snapshot.tree
    tree = LinkedServiceJobs(
        id=strawberry.ID(row.id),
        process_ref=row.process_ref,
        facility_ref=row.facility_ref,
        target_time=row.target_time,
        tenant_order_id=row.tenant_order_id,
        status=ServiceJobStatus[
            # the few distinct statuses, not one enum lookup per job
            derive_tree_status(map(JobStatus, {j.status for j in snapshot.jobs.values()})).value
        ],
        service_job_links=[links[i] for i in shape.children.get(None, [])],
        all_service_job_links=list(links.values()),  # built in that order
        # strawberry.ID is a NewType of str: the ids as they are.
        included_service_job_refs=cast(list[strawberry.ID], list(snapshot.jobs)),
        included_service_job_link_ids=cast(list[strawberry.ID], order),
        created=row.created,
        last_modified=row.last_modified,
        version=row.version,
    )
    view = TreeView(snapshot=snapshot, tree=tree, links=links)
    cache[id(snapshot)] = view
    return view
