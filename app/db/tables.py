"""SQLModel tables. Import module-qualified (`from app.db import tables`), never by name, so table
classes are never confused with GraphQL types of the same name.

Every row carries its `tenant`; every repository query filters on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from app.db.types import JSONType, UTCDateTime, utcnow

ID_LENGTH = 64
REF_LENGTH = 255


def _id(**kwargs: Any) -> Any:
    return Field(sa_column=Column(String(ID_LENGTH), **kwargs))


def _json(nullable: bool) -> Any:
    return Field(default=None, sa_column=Column(JSONType, nullable=nullable))


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CustomService(SQLModel, table=True):
    """The blueprint of a service, on tenant level."""

    __tablename__ = "custom_service"
    __table_args__ = (
        UniqueConstraint("tenant", "tenant_custom_service_id", name="uq_custom_service_tenant_ref"),
        Index("ix_custom_service_tenant_created", "tenant", "created", "id"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    tenant_custom_service_id: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    name_localized: dict[str, str] = _json(nullable=False)
    description_localized: dict[str, str] | None = _json(nullable=True)
    execution_time_in_min: int | None = None
    items_returnable: bool = False
    items_required: str = Field(sa_column=Column(String(16), nullable=False))
    article_items: list[dict[str, Any]] = _json(nullable=False)
    custom_attributes: dict[str, Any] | None = _json(nullable=True)
    created: datetime = _timestamp()
    last_modified: datetime = _timestamp()
    version: int = 1


class CustomServiceAdditionalInformation(SQLModel, table=True):
    """A question of a custom service that a worker answers on its jobs."""

    __tablename__ = "custom_service_additional_information"
    __table_args__ = (
        UniqueConstraint(
            "custom_service_id",
            "tenant_additional_information_id",
            name="uq_additional_information_service_ref",
        ),
        Index("ix_additional_information_service", "custom_service_id", "position"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    custom_service_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH), ForeignKey("custom_service.id", ondelete="CASCADE"), nullable=False
        )
    )
    position: int
    tenant_additional_information_id: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    name_localized: dict[str, str] = _json(nullable=False)
    description_localized: dict[str, str] | None = _json(nullable=True)
    value_type: str = Field(sa_column=Column(String(32), nullable=False))
    is_mandatory: bool = False


class CustomServiceRequirement(SQLModel, table=True):
    """`custom_service_id` requires `required_custom_service_id` to be done first."""

    __tablename__ = "custom_service_requirement"
    __table_args__ = (Index("ix_custom_service_requirement_tenant", "tenant"),)

    custom_service_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH),
            ForeignKey("custom_service.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    required_custom_service_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH),
            ForeignKey("custom_service.id", ondelete="RESTRICT"),
            primary_key=True,
        )
    )
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    position: int


class FacilityCustomServiceConnection(SQLModel, table=True):
    """Makes a custom service available in one facility, optionally with its own duration."""

    __tablename__ = "facility_custom_service_connection"
    __table_args__ = (
        UniqueConstraint(
            "tenant", "facility_ref", "custom_service_id", name="uq_connection_facility_service"
        ),
        Index("ix_connection_tenant_facility", "tenant", "facility_ref", "created", "id"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    facility_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    custom_service_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH), ForeignKey("custom_service.id", ondelete="RESTRICT"), nullable=False
        )
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    execution_time_in_min: int | None = None
    created: datetime = _timestamp()
    last_modified: datetime = _timestamp()
    version: int = 1


class LinkedServiceJobs(SQLModel, table=True):
    """One dependency tree of service jobs. Its status is derived from its jobs, never stored;
    its version bumps on every change inside the tree (the bump also serialises writers)."""

    __tablename__ = "linked_service_jobs"
    __table_args__ = (
        Index("ix_linked_service_jobs_tenant_order", "tenant", "tenant_order_id"),
        # The orders of `searchLinkedServiceJobs` (keyset pages).
        Index("ix_linked_service_jobs_tenant_target_time", "tenant", "target_time", "id"),
        Index("ix_linked_service_jobs_tenant_last_modified", "tenant", "last_modified", "id"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    process_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    facility_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    target_time: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    tenant_order_id: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    created: datetime = _timestamp()
    last_modified: datetime = _timestamp()
    version: int = 1


class ServiceJob(SQLModel, table=True):
    """An instance of a custom service in a facility; it copies the service's fields."""

    __tablename__ = "service_job"
    __table_args__ = (
        Index("ix_service_job_tenant_created", "tenant", "created", "id"),
        Index("ix_service_job_tree", "linked_service_jobs_id"),
        Index("ix_service_job_tenant_order", "tenant", "tenant_order_id"),
        # The orders of `serviceJobs` (keyset pages) and its commonest filters.
        Index("ix_service_job_tenant_target_time", "tenant", "target_time", "id"),
        Index("ix_service_job_tenant_last_modified", "tenant", "last_modified", "id"),
        Index("ix_service_job_tenant_facility_target", "tenant", "facility_ref", "target_time"),
        Index("ix_service_job_tenant_status_target", "tenant", "status", "target_time"),
        Index("ix_service_job_tenant_marketplace", "tenant", "marketplace_id"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    linked_service_jobs_id: str = Field(
        sa_column=Column(String(ID_LENGTH), ForeignKey("linked_service_jobs.id"), nullable=False)
    )
    custom_service_id: str | None = Field(
        default=None,
        sa_column=Column(String(ID_LENGTH), ForeignKey("custom_service.id"), nullable=True),
    )
    facility_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    status: str = Field(sa_column=Column(String(24), nullable=False))
    target_time: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    process_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    operative_process_ref: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    short_id: str | None = Field(default=None, sa_column=Column(String(REF_LENGTH), nullable=True))
    tenant_order_id: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    name_localized: dict[str, str] = _json(nullable=False)
    description_localized: dict[str, str] | None = _json(nullable=True)
    items_required: str = Field(sa_column=Column(String(16), nullable=False))
    items_returnable: bool = False
    execution_time_in_min: int | None = None
    additional_information: list[dict[str, Any]] = _json(nullable=False)
    additional_information_values: dict[str, Any] = _json(nullable=False)
    required_line_items: list[dict[str, Any]] = _json(nullable=False)
    assigned_users: list[dict[str, Any]] = _json(nullable=False)
    target_time_history: list[dict[str, Any]] = _json(nullable=False)
    custom_attributes: dict[str, Any] | None = _json(nullable=True)
    marketplace_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    service_type: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    status_reason: str | None = Field(default=None, sa_column=Column(String(4000), nullable=True))
    #: The cancel reason per locale, and a marketplace job's reason code.
    status_reason_localized: dict[str, str] | None = _json(nullable=True)
    status_reason_code: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True)
    )
    #: When the job became FINISHED, CANCELLED or OBSOLETE: its order takes the outcome of the
    #: job that ended last.
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    #: Copied from the custom service on creation, like its other fields.
    tenant_custom_service_id: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    #: LINE_ITEMS_MISSING while a NOT_READY job that needs items has not got them all;
    #: REQUIRED_LINE_ITEMS_UNFULFILLABLE when the tree's service data cannot provide them.
    sub_status: str | None = Field(default=None, sa_column=Column(String(48), nullable=True))
    created: datetime = _timestamp()
    last_modified: datetime = _timestamp()
    version: int = 1


class ServiceJobAssignedUser(SQLModel, table=True):
    """A user assigned to a job, by id, by username or both: the indexed copy of the job's
    `assigned_users` that the `assignedUser` filter searches, written with it."""

    __tablename__ = "service_job_assigned_user"
    __table_args__ = (
        Index("ix_assigned_user_tenant_user", "tenant", "user_id"),
        Index("ix_assigned_user_tenant_username", "tenant", "username"),
    )

    service_job_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH),
            ForeignKey("service_job.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    user_id: str | None = Field(default=None, sa_column=Column(String(REF_LENGTH), nullable=True))
    username: str | None = Field(default=None, sa_column=Column(String(REF_LENGTH), nullable=True))


class ServiceJobLink(SQLModel, table=True):
    """A job's place in its tree: beneath `parent_link_id` (None: root level). Links beneath a
    link are its job's prerequisites."""

    __tablename__ = "service_job_link"
    __table_args__ = (Index("ix_service_job_link_tree", "linked_service_jobs_id", "position"),)

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    linked_service_jobs_id: str = Field(
        sa_column=Column(String(ID_LENGTH), ForeignKey("linked_service_jobs.id"), nullable=False)
    )
    service_job_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH), ForeignKey("service_job.id"), nullable=False, unique=True
        )
    )
    parent_link_id: str | None = Field(
        default=None,
        sa_column=Column(String(ID_LENGTH), ForeignKey("service_job_link.id"), nullable=True),
    )
    #: Creation order within the tree; siblings are listed in this order.
    position: int
    created: datetime = _timestamp()


class LineItem(SQLModel, table=True):
    """An item of a job. `linked_service_jobs_id` is copied from the job so that a whole tree's
    items come back in one statement."""

    __tablename__ = "line_item"
    __table_args__ = (
        Index("ix_line_item_job", "service_job_id", "position", unique=True),
        Index("ix_line_item_tree", "linked_service_jobs_id"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    service_job_id: str = Field(
        sa_column=Column(String(ID_LENGTH), ForeignKey("service_job.id"), nullable=False)
    )
    linked_service_jobs_id: str = Field(
        sa_column=Column(String(ID_LENGTH), ForeignKey("linked_service_jobs.id"), nullable=False)
    )
    position: int
    article: dict[str, Any] = _json(nullable=False)
    quantity: int
    scannable_codes: list[str] = _json(nullable=False)
    #: The item of the tree's service data these units are of: the line item itself for the
    #: items a job was created with (service data item and line item share the id), another
    #: item for units the job selected (DOMAIN §6: selected items are stored in lineItems).
    service_item_ref: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    custom_attributes: dict[str, Any] | None = _json(nullable=True)


class ServiceOrder(SQLModel, table=True):
    """An order whose nested custom services became one tree; its status is derived."""

    __tablename__ = "service_order"
    __table_args__ = (
        UniqueConstraint("tenant", "tenant_order_id", name="uq_service_order_tenant_order"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    tenant_order_id: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    facility_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    target_time: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    marketplace_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    service_type: str | None = Field(
        default=None, sa_column=Column(String(REF_LENGTH), nullable=True)
    )
    created: datetime = _timestamp()


class ServiceData(SQLModel, table=True):
    """The one service data object of a tree: the items its jobs may use."""

    __tablename__ = "service_data"

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    linked_service_jobs_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH),
            ForeignKey("linked_service_jobs.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    created: datetime = _timestamp()
    last_modified: datetime = _timestamp()
    version: int = 1


class ServiceDataItem(SQLModel, table=True):
    """An item available to a tree's jobs (a job's or the order's line item)."""

    __tablename__ = "service_data_item"
    __table_args__ = (Index("ix_service_data_item_data", "service_data_id", "position"),)

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    service_data_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH), ForeignKey("service_data.id", ondelete="CASCADE"), nullable=False
        )
    )
    position: int
    article: dict[str, Any] = _json(nullable=False)
    quantity: int


class ServiceDataUsage(SQLModel, table=True):
    """A job's use of an item as executedServiceJobData shows it: derived from the line items
    holding the item and the tree's shape (app.domain.service_data.executed), rewritten by every
    change of either, kept so that reads take one statement."""

    __tablename__ = "service_data_usage"

    service_data_item_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH),
            ForeignKey("service_data_item.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    service_job_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH), ForeignKey("service_job.id"), primary_key=True, index=True
        )
    )
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    sequence: int
    applied_quantity: int
    items_returnable: bool


class Appointment(SQLModel, table=True):
    """An appointment of a job, with the fulfilment data recorded for it."""

    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_job", "service_job_id", "created"),
        Index("ix_appointment_tenant_start", "tenant", "start_time"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    service_job_id: str = Field(
        sa_column=Column(String(ID_LENGTH), ForeignKey("service_job.id"), nullable=False)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    start_time: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    duration_in_minutes: int
    assigned_technicians: list[dict[str, Any]] = _json(nullable=False)
    rescheduled_appointment_id: str | None = Field(
        default=None,
        sa_column=Column(String(ID_LENGTH), ForeignKey("appointment.id"), nullable=True),
    )
    reschedule_reason_code: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True)
    )
    estimated_arrival_start: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    estimated_arrival_end: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    fulfillment_start: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    fulfillment_end: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    appointment_resources: list[str] = _json(nullable=False)
    created: datetime = _timestamp()
    last_modified: datetime = _timestamp()
    version: int = 1


class UploadDestination(SQLModel, table=True):
    """Where a fulfilment document is uploaded (encrypted) and kept. The key and IV stay here:
    they are returned once, when the destination is made, and used to decrypt downloads."""

    __tablename__ = "upload_destination"
    __table_args__ = (Index("ix_upload_destination_appointment", "appointment_id"),)

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    created_by: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    #: The uploader's facility scope (Viewer.scope_key; None: tenant-wide): with created_by,
    #: who an upload not recorded on an appointment yet belongs to.
    created_scope: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    content_type: str = Field(sa_column=Column(String(8), nullable=False))
    content_length: int
    content_md5: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    iv: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    uploaded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    content_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    appointment_id: str | None = Field(
        default=None,
        sa_column=Column(String(ID_LENGTH), ForeignKey("appointment.id"), nullable=True),
    )
    created: datetime = _timestamp()


class Event(SQLModel, table=True):
    """The outbox: one row per change of a service job or a tree, written in the transaction
    that made the change, so a rolled-back change leaves no event. Ids grow in commit order
    within a tenant (writers take a per-tenant lock just before they insert)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_tenant_id", "tenant", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    facility_ref: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    event_type: str = Field(sa_column=Column(String(48), nullable=False))
    entity_type: str = Field(sa_column=Column(String(32), nullable=False))
    entity_id: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    version: int
    payload: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    occurred_at: datetime = _timestamp()


class WebhookSubscription(SQLModel, table=True):
    """A callback url that receives the tenant's events of some types (in some facilities).
    The signing secret is kept sealed (AES-256-GCM, app/crypto.py); `last_event_id` is how far
    the tenant's events have been turned into deliveries for it."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (Index("ix_webhook_subscription_tenant_created", "tenant", "created", "id"),)

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    callback_url: str = Field(sa_column=Column(String(2048), nullable=False))
    events: list[str] = _json(nullable=False)
    #: None: every facility of the tenant.
    facility_refs: list[str] | None = _json(nullable=True)
    sealed_secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    active: bool = True
    last_event_id: int = Field(
        default=0, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(REF_LENGTH), nullable=False))
    created: datetime = _timestamp()


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription, attempted until the receiver answers 2xx or the attempts
    run out (DEAD). A worker claims it by moving `next_attempt_at` a lease ahead and writing its
    `claim`: if that worker dies, the delivery is due again once the lease has passed."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_subscription_created", "subscription_id", "created", "id"),
    )

    id: str = _id(primary_key=True)
    tenant: str = Field(sa_column=Column(String(ID_LENGTH), nullable=False))
    subscription_id: str = Field(
        sa_column=Column(
            String(ID_LENGTH),
            ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    event_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"),
            ForeignKey("event.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    event_type: str = Field(sa_column=Column(String(48), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    #: The worker's claim on the attempt in flight (None when none is).
    claim: str | None = Field(default=None, sa_column=Column(String(ID_LENGTH), nullable=True))
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    last_http_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    created: datetime = _timestamp()
