"""Output types of service jobs and their line items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.domain.trees import inherited_from
from app.graphql.common.articles import Article, ArticleItem
from app.graphql.common.build import build
from app.graphql.common.scalars import JSONObject, LocalizedText
from app.graphql.context import Context
from app.graphql.custom_services.enums import AdditionalInformationValueType
from app.graphql.custom_services.types import LocaleArg, localized
from app.graphql.service_jobs.enums import ServiceJobStatus, ServiceJobSubStatus
from app.repositories.tree_reads import TreeSnapshot

if TYPE_CHECKING:
    from app.graphql.appointments.types import Appointment
    from app.graphql.service_data.types import ServiceData
    from app.graphql.trees.types import LinkedServiceJobs, ServiceJobLink

TreesModule = "app.graphql.trees.types"
ServiceDataModule = "app.graphql.service_data.types"
AppointmentsModule = "app.graphql.appointments.types"


def _read_through(convert: Callable[[Any], Any]) -> property:
    """A property that makes the field from the object's row when it is read."""
    return property(lambda obj: convert(obj._row))


@strawberry.type(description="An item a service job works on.")
class LineItem:
    id: strawberry.ID = strawberry.field(description="Id of the line item.")
    article: Article = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many (at least 1).")
    scannable_codes: list[str] = strawberry.field(description="Barcodes and the like.")
    custom_attributes: JSONObject | None = strawberry.field(description="Free-form attributes.")

    @classmethod
    def from_row(cls, row: Any) -> LineItem:
        return build(cls, **{name: make(row) for name, make in LINE_ITEM_FIELDS.items()})


#: How each field of a LineItem is made from its row.
LINE_ITEM_FIELDS: dict[str, Callable[[Any], Any]] = {
    "id": attrgetter("id"),
    "article": lambda row: Article.from_json(row.article),
    "quantity": attrgetter("quantity"),
    "scannable_codes": lambda row: row.scannable_codes or [],
    "custom_attributes": attrgetter("custom_attributes"),
}


class TreeLineItem(LineItem):
    """A LineItem of a tree read whole, whose fields read through to its row: the read took
    only the columns its document's fields need (ITEM_COLUMNS_OF_FIELD)."""

    @classmethod
    def of(cls, row: Any) -> LineItem:
        return build(cls, _row=row)


for _name, _make in LINE_ITEM_FIELDS.items():
    setattr(TreeLineItem, _name, _read_through(_make))

#: The columns of its row each field of a LineItem reads (a test requires an entry for every
#: field of the type).
ITEM_COLUMNS_OF_FIELD: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "article": ("article",),
    "quantity": ("quantity",),
    "scannable_codes": ("scannable_codes",),
    "custom_attributes": ("custom_attributes",),
}


@strawberry.type(description="A line item a job inherits from a job beneath it in its tree.")
class InheritedLineItem:
    service_job_ref: strawberry.ID = strawberry.field(description="The job it comes from.")
    id: strawberry.ID = strawberry.field(description="Id of the line item.")
    article: Article = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many.")
    scannable_codes: list[str] = strawberry.field(description="Barcodes and the like.")


@strawberry.type(description="A question of the job (copied from its service) and its answer.")
class ServiceJobAdditionalInformation:
    id: strawberry.ID = strawberry.field(description="Id of the additional information.")
    tenant_additional_information_id: str | None = strawberry.field(
        description="The tenant's own id of the question (copied from the service). An answer "
        "names the question with this value as `tenantAdditionalInformationRef` (or with `id` "
        "as `additionalInformationRef`)."
    )
    name_localized: LocalizedText = strawberry.field(description="The question, per locale.")
    description_localized: LocalizedText | None = strawberry.field(
        description="What the question means, per locale (copied from the service); null if the "
        "service gave none."
    )
    value_type: AdditionalInformationValueType = strawberry.field(
        description="What kind of answer is expected."
    )
    is_mandatory: bool = strawberry.field(description="Needed before the job can finish.")
    value: str | None = strawberry.field(
        description="The answer given so far, as text (true/false for BOOLEAN); null if none."
    )

    @strawberry.field(description="The question in the caller's locale.")
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(description="The description in the caller's locale; null if none.")
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)


@strawberry.type(description="A user assigned to a job, as the client named it.")
class AssignedUser:
    user_id: str | None = strawberry.field(
        description="The user's id; null when the user was assigned by username alone."
    )
    username: str | None = strawberry.field(
        description="The user's username; null when the user was assigned by id alone."
    )


@strawberry.type(
    description="Why a job was cancelled: free text and its translations for any job, the "
    "marketplace's reason code for a marketplace job (as in the \u201cClose service jobs\u201d "
    "guide). Dependents cancelled with the "
    "job carry the same reason."
)
class CancelReason:
    reason_localized: LocalizedText | None = strawberry.field(
        description="The reason per locale, as given with the cancel; null if none was."
    )
    reason_code: str | None = strawberry.field(
        description="The reason code a marketplace job was cancelled with (see "
        "cancellationReasonCodes); null for other jobs."
    )
    _reason: strawberry.Private[str | None]

    @strawberry.field(
        description="The reason: the free text given (for a marketplace job '<code>: <the "
        "text, else the code's description>'), else reasonLocalized in the caller's locale; "
        "null if neither was given."
    )
    def reason(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str | None:
        if self._reason is not None:
            return self._reason
        return localized(info, self.reason_localized, locale)

    @classmethod
    def of_row(cls, row: Any) -> CancelReason | None:
        if (
            row.status_reason is None
            and not row.status_reason_localized
            and not (row.status_reason_code)
        ):
            return None
        return cls(
            reason_localized=(
                LocalizedText(row.status_reason_localized) if row.status_reason_localized else None
            ),
            reason_code=row.status_reason_code,
            _reason=row.status_reason,
        )


@strawberry.type(description="The job's status and why it was last changed.")
class StatusInformation:
    status: ServiceJobStatus = strawberry.field(description="The current status.")
    reason: str | None = strawberry.field(
        description="Reason given with a cancel, if any, as text.",
        deprecation_reason="Use cancelReason { reason reasonLocalized reasonCode }.",
    )
    cancel_reason: CancelReason | None = strawberry.field(
        description="Why the job was cancelled; null unless it was cancelled with a reason."
    )
    last_modified: datetime = strawberry.field(description="When the job last changed (UTC).")


def _answer(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@strawberry.type(description="An instance of a custom service in a facility.")
class ServiceJob:
    id: strawberry.ID = strawberry.field(description="Id of the service job.")
    status: ServiceJobStatus = strawberry.field(description="Where the job stands.")
    facility_ref: str = strawberry.field(description="The facility that does the job.")
    target_time: datetime = strawberry.field(description="When the job should be done (UTC).")
    process_ref: str = strawberry.field(description="The process the job belongs to.")
    operative_process_ref: str | None = strawberry.field(description="The operative process.")
    short_id: str | None = strawberry.field(description="A short id for people.")
    tenant_order_id: str | None = strawberry.field(description="The order it belongs to.")
    custom_service_ref: strawberry.ID | None = strawberry.field(
        description="The custom service it was made from."
    )
    tenant_custom_service_id: str | None = strawberry.field(
        description="The tenant's id of that custom service, as it was when the job was made "
        "(copied, like the service's other fields); null if it had none."
    )
    linked_service_jobs_ref: strawberry.ID = strawberry.field(description="Its tree.")
    name_localized: LocalizedText = strawberry.field(description="Name, per locale (copied).")
    description_localized: LocalizedText | None = strawberry.field(
        description="Description, per locale (copied)."
    )
    items_required: str = strawberry.field(description="MANDATORY or NONE (copied).")
    items_returnable: bool = strawberry.field(description="Whether items can be returned.")
    execution_time_in_min: int | None = strawberry.field(
        description="Duration: the facility connection's, else the service's."
    )
    custom_attributes: JSONObject | None = strawberry.field(description="Free-form attributes.")
    marketplace_id: str | None = strawberry.field(description="Marketplace of the job, if any.")
    service_type: str | None = strawberry.field(description="Service type, e.g. heavybulky.")
    sub_status: ServiceJobSubStatus | None = strawberry.field(
        description="Why a NOT_READY job that needs items waits for them: LINE_ITEMS_MISSING, "
        "or REQUIRED_LINE_ITEMS_UNFULFILLABLE when the tree's service data cannot provide them; "
        "null once they are there (its own, selected, or passed on from the jobs beneath)."
    )
    created: datetime = strawberry.field(description="When it was created (UTC).")
    last_modified: datetime = strawberry.field(description="When it last changed (UTC).")
    version: int = strawberry.field(description="Optimistic-locking version.")
    _row: strawberry.Private[Any]
    #: Driver rows of the job's line items when its tree is loaded whole.
    _line_item_rows: strawberry.Private[list[Any] | None] = None
    _snapshot: strawberry.Private[TreeSnapshot | None] = None

    # Nested details are computed when asked for: a tree read builds a thousand jobs.

    @strawberry.field(description="Every target time the job was given, oldest first.")
    def target_times(self) -> list[datetime]:
        return [datetime.fromisoformat(t["targetTime"]) for t in self._row.target_time_history]

    @strawberry.field(description="The questions of the job with their answers.")
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
        "of the jobs beneath it)."
    )
    def required_line_items(self) -> list[ArticleItem]:
        return [ArticleItem.from_json(i) for i in self._row.required_line_items or ()]

    @strawberry.field(description="Users assigned (≤ 10).")
    def assigned_users(self) -> list[AssignedUser]:
        return [
            AssignedUser(user_id=u.get("userId"), username=u.get("username"))
            for u in self._row.assigned_users or ()
        ]

    @strawberry.field(description="Status and the reason of its last change.")
    def status_information(self) -> StatusInformation:
        return StatusInformation(
            status=ServiceJobStatus[self._row.status],
            reason=self._row.status_reason,
            cancel_reason=CancelReason.of_row(self._row),
            last_modified=self._row.last_modified,
        )

    @strawberry.field(description="The name in the caller's locale.")
    def name(self, info: strawberry.Info[Context, None], locale: LocaleArg = None) -> str:
        return localized(info, self.name_localized, locale) or ""

    @strawberry.field(description="The description in the caller's locale.")
    def description(
        self, info: strawberry.Info[Context, None], locale: LocaleArg = None
    ) -> str | None:
        return localized(info, self.description_localized, locale)

    @strawberry.field(description="The service data of the job's tree.")
    async def service_data(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[ServiceData, strawberry.lazy(ServiceDataModule)] | None:
        from app.graphql.service_data.types import service_data_of_tree

        return await service_data_of_tree(info, str(self.linked_service_jobs_ref))

    @strawberry.field(description="The job's appointments, oldest first.")
    async def appointments(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Appointment, strawberry.lazy(AppointmentsModule)]]:
        from app.graphql.appointments.types import Appointment

        rows = await info.context.loaders.appointments_by_job_id.load(str(self.id))
        return [Appointment.from_row(row) for row in rows]

    @strawberry.field(
        description="The job's line items (≤ 50): those it was created with and, one per item, "
        "the units it selected from its tree's service data (they leave on unselect)."
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
        "passed on to this job, they count towards its requiredLineItems."
    )
    async def inherited_line_items(
        self, info: strawberry.Info[Context, None]
    ) -> list[InheritedLineItem]:
        return self.inherited_in(await self._tree(info))

    def inherited_in(self, snapshot: TreeSnapshot) -> list[InheritedLineItem]:
        return [
            InheritedLineItem(
                service_job_ref=strawberry.ID(job_id),
                id=strawberry.ID(row.id),
                article=Article.from_json(row.article),
                quantity=row.quantity,
                scannable_codes=list(row.scannable_codes or ()),
            )
            for job_id in inherited_from(snapshot.shape, str(self.id))
            for row in snapshot.line_items_of(job_id)
        ]

    @strawberry.field(description="The tree the job belongs to.")
    async def linked_service_jobs(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[LinkedServiceJobs, strawberry.lazy(TreesModule)]:
        from app.graphql.trees.types import tree_view

        return tree_view(await self._tree(info), info.context.loaders.tree_views).tree

    @strawberry.field(description="The job's link in its tree.")
    async def service_job_link(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[ServiceJobLink, strawberry.lazy(TreesModule)]:
        from app.graphql.trees.types import tree_view

        view = tree_view(await self._tree(info), info.context.loaders.tree_views)
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
        )

    @classmethod
    def in_tree(
        cls, row: Any, line_item_rows: list[Any] | None, snapshot: TreeSnapshot
    ) -> ServiceJob:
        """A job of a tree read whole: its fields are read through to the row (its line items
        are None when the tree was read without them: they are then loaded by job)."""
        return build(TreeServiceJob, _row=row, _line_item_rows=line_item_rows, _snapshot=snapshot)


#: The fields of a ServiceJob that are a column of its row as they are.
COLUMN_OF_FIELD: dict[str, str] = {
    "id": "id",
    "facility_ref": "facility_ref",
    "target_time": "target_time",
    "process_ref": "process_ref",
    "operative_process_ref": "operative_process_ref",
    "short_id": "short_id",
    "tenant_order_id": "tenant_order_id",
    "custom_service_ref": "custom_service_id",
    "tenant_custom_service_id": "tenant_custom_service_id",
    "linked_service_jobs_ref": "linked_service_jobs_id",
    "name_localized": "name_localized",
    "description_localized": "description_localized",
    "items_required": "items_required",
    "items_returnable": "items_returnable",
    "execution_time_in_min": "execution_time_in_min",
    "custom_attributes": "custom_attributes",
    "marketplace_id": "marketplace_id",
    "service_type": "service_type",
    "created": "created",
    "last_modified": "last_modified",
    "version": "version",
}


#: Members by name (a C-level lookup; indexing the Enum class runs Python code).
_STATUSES = ServiceJobStatus.__members__


def _sub_status(row: Any) -> ServiceJobSubStatus | None:
    return ServiceJobSubStatus[row.sub_status] if row.sub_status else None


#: The fields of a ServiceJob made of its row's columns.
CONVERTED_FIELDS: dict[str, Callable[[Any], Any]] = {
    "status": lambda row: _STATUSES[row.status],
    "sub_status": _sub_status,
}


#: The columns of its row each field of a ServiceJob reads. A tree read selects only the
#: columns of the fields its document asks for (app.graphql.trees.columns), plus
#: TREE_JOB_COLUMNS; a test requires an entry for every field of the type.
COLUMNS_OF_FIELD: dict[str, tuple[str, ...]] = {
    **{name: (column,) for name, column in COLUMN_OF_FIELD.items()},
    "status": ("status",),
    "sub_status": ("sub_status",),
    "target_times": ("target_time_history",),
    "additional_information": ("additional_information", "additional_information_values"),
    "required_line_items": ("required_line_items",),
    "assigned_users": ("assigned_users",),
    "status_information": (
        "status",
        "status_reason",
        "status_reason_localized",
        "status_reason_code",
        "last_modified",
    ),
    "name": ("name_localized",),
    "description": ("description_localized",),
    # Read from the tree, its service data or other tables, by the job's id and tree.
    "service_data": (),
    "appointments": (),
    # Line items: see ITEM_COLUMNS_OF_JOB_FIELD.
    "line_items": (),
    "inherited_line_items": (),
    "linked_service_jobs": (),
    "service_job_link": (),
}

#: The fields of a ServiceJob that make a tree read take its line items, with the item
#: columns they read themselves: a job's own items read those of the LineItem fields asked for
#: (ITEM_COLUMNS_OF_FIELD); inherited items are built whole from their rows (inherited_in).
ITEM_COLUMNS_OF_JOB_FIELD: dict[str, tuple[str, ...]] = {
    "line_items": (),
    "inherited_line_items": ("article", "quantity", "scannable_codes"),
}


class TreeServiceJob(ServiceJob):
    """A ServiceJob of a tree read whole, whose fields read through to its row (a tree read
    builds a thousand jobs, and a query reads a few fields of each): plain columns through
    C-level getters, the rest converted when read."""


for _field, _column in COLUMN_OF_FIELD.items():
    setattr(TreeServiceJob, _field, property(attrgetter(f"_row.{_column}")))
for _field, _convert in CONVERTED_FIELDS.items():
    setattr(TreeServiceJob, _field, _read_through(_convert))
