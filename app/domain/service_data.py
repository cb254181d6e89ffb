"""Service data (DOMAIN §6): which items of a tree each job uses, in what order, and how many
are left. Pure rules over an in-memory picture of one tree's items.

Model (chosen where the vendor is silent; the schema descriptions say the same):
- `appliedQuantity` is how many units of an item a job works on.
- The jobs using one item always form one chain from a job up towards the root: an item used in
  one branch can be used by the jobs above it, never by a job of a parallel branch.
- Units flow upwards: a job above may work on the units a job beneath already used, so an item's
  `availableQuantity` is its quantity minus the largest applied quantity along its chain.
- A job cannot give back units below what a job beneath it used (those are passed on to it).
- `sequence` numbers a job's first use of an item (1, 2, …) and is never renumbered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain.errors import DomainError, ErrorCode, Problems
from app.domain.job_status import JobStatus
from app.domain.trees import TreeShape

MAX_ENTRIES = 50
#: The sub-status of a job that needs items and has not got all of them selected.
LINE_ITEMS_MISSING = "LINE_ITEMS_MISSING"


def needs_items(items_required: str, required_line_items: Sequence[Mapping[str, Any]]) -> bool:
    """A job waits for its items only if its service made them MANDATORY and names some."""
    return items_required == "MANDATORY" and bool(required_line_items)


@dataclass(frozen=True, slots=True)
class Usage:
    job_id: str
    sequence: int
    applied_quantity: int
    items_returnable: bool


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """One available line item of the tree and who uses it."""

    id: str
    tenant_article_id: str
    quantity: int
    usages: tuple[Usage, ...] = ()

    @property
    def available_quantity(self) -> int:
        return self.quantity - max((u.applied_quantity for u in self.usages), default=0)

    def usage_of(self, job_id: str) -> Usage | None:
        return next((u for u in self.usages if u.job_id == job_id), None)


@dataclass(frozen=True, slots=True)
class Entry:
    service_item_ref: str
    quantity: int


@dataclass(slots=True)
class Selection:
    """The items after a select or unselect, and which of them changed."""

    items: dict[str, ServiceItem]
    changed: list[str] = field(default_factory=list)


def _related(shape: TreeShape, a: str, b: str) -> bool:
    """Whether one job sits above the other (or they are the same)."""
    if a == b:
        return True
    link_a, link_b = shape.link_of_job[a], shape.link_of_job[b]
    return link_a in shape.ancestors(link_b) or link_b in shape.ancestors(link_a)


def _below(shape: TreeShape, job_id: str) -> set[str]:
    return {shape.links[link].job_id for link in shape.descendants(shape.link_of_job[job_id])}


def _check_request(
    status: JobStatus, entries: Sequence[Entry], items: Mapping[str, ServiceItem], verb: str
) -> None:
    if status is not JobStatus.NOT_READY:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            f"Items can be {verb}ed only while the service job is NOT_READY; it is {status.value}.",
            "serviceJobId",
        )
    problems = Problems()
    if not 1 <= len(entries) <= MAX_ENTRIES:
        problems.add(
            ErrorCode.LIMIT_EXCEEDED if entries else ErrorCode.VALIDATION_FAILED,
            f"Give 1 to {MAX_ENTRIES} items.",
            "items",
        )
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"items.{index}"
        if entry.quantity < 1:
            problems.invalid("quantity must be at least 1.", f"{where}.quantity")
        if entry.service_item_ref in seen:
            problems.invalid("The same item is listed twice.", f"{where}.serviceItemRef")
        seen.add(entry.service_item_ref)
        if entry.service_item_ref not in items:
            problems.add(
                ErrorCode.NOT_FOUND,
                f"Item {entry.service_item_ref!r} is not in this tree's service data.",
                f"{where}.serviceItemRef",
            )
    problems.raise_if_any()


def select_items(
    shape: TreeShape,
    items: Mapping[str, ServiceItem],
    job_id: str,
    status: JobStatus,
    entries: Sequence[Entry],
    items_returnable: bool,
) -> Selection:
    _check_request(status, entries, items, "select")
    result = Selection(items=dict(items))
    problems = Problems()
    for index, entry in enumerate(entries):
        where = f"items.{index}"
        item = items[entry.service_item_ref]
        parallel = [u.job_id for u in item.usages if not _related(shape, u.job_id, job_id)]
        if parallel:
            problems.add_conflict(
                f"Item {item.id!r} is already used by service job {parallel[0]!r} in a "
                "parallel branch; only the jobs above it may use it too.",
                f"{where}.serviceItemRef",
            )
            continue
        own = item.usage_of(job_id)
        applied = (own.applied_quantity if own else 0) + entry.quantity
        if applied > item.quantity:
            problems.too_many(
                f"Item {item.id!r} has {item.quantity} units ({item.available_quantity} not used "
                f"yet); the job would work on {applied}.",
                f"{where}.quantity",
            )
            continue
        if own is None:
            sequence = max((u.sequence for u in item.usages), default=0) + 1
            usage = Usage(job_id, sequence, applied, items_returnable)
            usages = (*item.usages, usage)
        else:
            usages = tuple(
                replace(u, applied_quantity=applied) if u.job_id == job_id else u
                for u in item.usages
            )
        result.items[item.id] = replace(item, usages=usages)
        result.changed.append(item.id)
    problems.raise_if_any()
    return result


def unselect_items(
    shape: TreeShape,
    items: Mapping[str, ServiceItem],
    job_id: str,
    status: JobStatus,
    entries: Sequence[Entry],
) -> Selection:
    _check_request(status, entries, items, "unselect")
    result = Selection(items=dict(items))
    below = _below(shape, job_id)
    problems = Problems()
    for index, entry in enumerate(entries):
        where = f"items.{index}"
        item = items[entry.service_item_ref]
        own = item.usage_of(job_id)
        if own is None:
            problems.invalid(f"The job does not use item {item.id!r}.", f"{where}.serviceItemRef")
            continue
        remaining = own.applied_quantity - entry.quantity
        passed_on = max((u.applied_quantity for u in item.usages if u.job_id in below), default=0)
        if remaining < 0:
            problems.invalid(
                f"The job uses {own.applied_quantity} units of item {item.id!r}.",
                f"{where}.quantity",
            )
            continue
        if remaining < passed_on:
            problems.add_conflict(
                f"{passed_on} units of item {item.id!r} were used by a job beneath and are "
                "passed on to this one; they cannot be unselected here.",
                f"{where}.quantity",
            )
            continue
        usages = tuple(
            replace(u, applied_quantity=remaining) if u.job_id == job_id else u
            for u in item.usages
            if u.job_id != job_id or remaining > 0
        )
        result.items[item.id] = replace(item, usages=usages)
        result.changed.append(item.id)
    problems.raise_if_any()
    return result


def missing_line_items(
    required: Sequence[Mapping[str, Any]],
    items: Mapping[str, ServiceItem],
    job_id: str,
) -> bool:
    """Whether the job still lacks some of its required items (by article and quantity)."""
    applied: dict[str, int] = {}
    for item in items.values():
        usage = item.usage_of(job_id)
        if usage is not None:
            applied[item.tenant_article_id] = (
                applied.get(item.tenant_article_id, 0) + usage.applied_quantity
            )
    needed: dict[str, int] = {}
    for line in required:
        article = line["article"]["tenantArticleId"]
        needed[article] = needed.get(article, 0) + int(line["quantity"])
    return any(applied.get(article, 0) < quantity for article, quantity in needed.items())
