"""Rules for creating service jobs (DOMAIN §3) that need no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.attributes import check_custom_attributes
from app.domain.custom_services import Article, ArticleItem, check_article, check_ref
from app.domain.errors import Problems

MAX_LINE_ITEMS = 50
MAX_ASSIGNED_USERS = 10
MAX_SCANNABLE_CODES = 50
#: Target times a job keeps: its history, the current one included.
MAX_TARGET_TIMES = 100

#: The marketplaces of the close-out flow (seed 000): US, UK, DE, IN.
MARKETPLACES: Mapping[str, str] = {
    "ATVPDKIKX0DER": "US",
    "A1F83G8C2ARO7P": "UK",
    "A1PA6795UKMFR9": "DE",
    "A21TJRUUN4KGV": "IN",
}


@dataclass(frozen=True, slots=True)
class LineItemDraft:
    article: Article
    quantity: int
    scannable_codes: Sequence[str] = ()
    custom_attributes: Mapping[str, object] | None = None
    id: str | None = None


@dataclass(slots=True)
class NewServiceJob:
    """What a client gives to create a job; the rest is copied from the custom service."""

    facility_ref: str
    target_time: datetime
    custom_service_ref: str | None = None
    tenant_custom_service_id: str | None = None
    process_ref: str | None = None
    operative_process_ref: str | None = None
    short_id: str | None = None
    tenant_order_id: str | None = None
    line_items: Sequence[LineItemDraft] = ()
    custom_attributes: Mapping[str, object] | None = None
    assigned_users: Sequence[str] = ()
    service_job_link_ref: str | None = None
    marketplace_id: str | None = None
    service_type: str | None = None
    additional_information: Sequence[object] = field(default_factory=list)
    #: Replaces the items the custom service requires, when given.
    required_line_items: Sequence[ArticleItem] | None = None


def check_timezone(value: datetime, field_name: str, problems: Problems) -> None:
    """Times are instants: a value without a timezone is refused, never guessed."""
    if value.tzinfo is None:
        problems.invalid(f"{field_name} needs a timezone.", field_name)


def with_target_time(
    history: Sequence[Mapping[str, Any]], target_time: datetime
) -> list[Mapping[str, Any]]:
    """A job's target time history with a new target time, at most MAX_TARGET_TIMES long."""
    problems = Problems()
    check_timezone(target_time, "targetTime", problems)
    if len(history) >= MAX_TARGET_TIMES:
        problems.too_many(f"A job keeps at most {MAX_TARGET_TIMES} target times.", "targetTime")
    problems.raise_if_any()
    return [*history, {"targetTime": target_time.isoformat()}]


def check_line_items(items: Sequence[LineItemDraft], where: str, problems: Problems) -> None:
    if len(items) > MAX_LINE_ITEMS:
        problems.too_many(f"At most {MAX_LINE_ITEMS} line items are allowed.", where)
    for index, item in enumerate(items):
        here = f"{where}.{index}"
        if item.quantity < 1:
            problems.invalid("quantity must be at least 1.", f"{here}.quantity")
        check_article(item.article, f"{here}.article", problems)
        if len(item.scannable_codes) > MAX_SCANNABLE_CODES:
            problems.too_many(
                f"At most {MAX_SCANNABLE_CODES} scannable codes.", f"{here}.scannableCodes"
            )
        check_custom_attributes(item.custom_attributes, f"{here}.customAttributes", problems)


def check_required_line_items(items: Sequence[ArticleItem] | None, problems: Problems) -> None:
    if items is None:
        return
    if len(items) > MAX_LINE_ITEMS:
        problems.too_many(
            f"At most {MAX_LINE_ITEMS} required line items are allowed.", "requiredLineItems"
        )
    for index, item in enumerate(items):
        here = f"requiredLineItems.{index}"
        if item.quantity < 1:
            problems.invalid("quantity must be at least 1.", f"{here}.quantity")
        check_article(item.article, f"{here}.article", problems)


def check_assigned_users(users: Sequence[str], where: str, problems: Problems) -> None:
    if len(users) > MAX_ASSIGNED_USERS:
        problems.too_many(f"At most {MAX_ASSIGNED_USERS} assigned users.", where)
    if len(set(users)) != len(users):
        problems.invalid("A user is assigned twice.", where)
    for index, user in enumerate(users):
        check_ref(user, f"{where}.{index}", problems)


def check_marketplace(marketplace_id: str | None, where: str, problems: Problems) -> None:
    if marketplace_id is not None and marketplace_id not in MARKETPLACES:
        problems.invalid(
            f"Marketplace {marketplace_id!r} is not supported; use one of "
            f"{', '.join(f'{k} ({v})' for k, v in MARKETPLACES.items())}.",
            where,
        )


def check_new_job(job: NewServiceJob, problems: Problems) -> None:
    if (job.custom_service_ref is None) == (job.tenant_custom_service_id is None):
        problems.invalid(
            "Name the custom service by exactly one of customServiceRef and tenantCustomServiceId.",
            "customServiceRef",
        )
    check_ref(job.facility_ref, "facilityRef", problems)
    for name in ("process_ref", "operative_process_ref", "short_id", "tenant_order_id"):
        check_ref(getattr(job, name), _camel(name), problems)
    if job.target_time.tzinfo is None:
        problems.invalid("targetTime needs a timezone.", "targetTime")
    check_line_items(job.line_items, "lineItems", problems)
    check_required_line_items(job.required_line_items, problems)
    check_assigned_users(job.assigned_users, "assignedUsers", problems)
    check_custom_attributes(job.custom_attributes, "customAttributes", problems)
    check_marketplace(job.marketplace_id, "marketplaceId", problems)
    check_ref(job.service_type, "serviceType", problems)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
