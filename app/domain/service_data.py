"""Service data (DOMAIN §6, seed 003): how a tree's items flow through its jobs. Pure rules over
an in-memory picture of one tree's items.

The model:
- A job *holds* units of an item itself: the units of its own line items (it was created with
  them) and the units it selected. Both are the job's `lineItems`; selected units leave them when
  unselected. Units a job was created with cannot be unselected.
- Units flow upwards: what a job holds is passed on to every job above it, automatically. A job's
  *applied* quantity of an item is what it holds plus what every job beneath it holds; passed-on
  units count towards its `requiredLineItems` and it cannot unselect them.
- The jobs holding an item always form one chain from a job up towards the root (an item used in
  one branch can be used by the jobs above it, never by a parallel branch), so no unit is ever
  counted twice: an item's `availableQuantity` is its quantity minus all units held.
- `executedServiceJobData` lists the jobs applying an item from the lowest holder up to the root,
  `sequence` 1, 2, 3 … in that order (a job beneath runs first); it is derived from the tree as
  it is now, so it is renumbered whenever the tree or the selection changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain.errors import DomainError, ErrorCode, Problems
from app.domain.job_status import JobStatus
from app.domain.service_jobs import MAX_LINE_ITEMS
from app.domain.trees import TreeShape

MAX_ENTRIES = 50
#: Line items of one job, its own and its selected ones (as ServiceJob.lineItems is priced).
MAX_LINE_ITEMS_PER_JOB = MAX_LINE_ITEMS
#: The sub-status of a job that needs items and has not got all of them yet.
LINE_ITEMS_MISSING = "LINE_ITEMS_MISSING"
#: The sub-status of a job whose required items the tree's service data can no longer provide.
REQUIRED_LINE_ITEMS_UNFULFILLABLE = "REQUIRED_LINE_ITEMS_UNFULFILLABLE"
#: Sub-statuses that keep a job from opening.
LACKING = frozenset({LINE_ITEMS_MISSING, REQUIRED_LINE_ITEMS_UNFULFILLABLE})


def needs_items(items_required: str, required_line_items: Sequence[Mapping[str, Any]]) -> bool:
    """A job waits for its items only if its service made them MANDATORY and names some."""
    return items_required == "MANDATORY" and bool(required_line_items)


def check_mandatory_items(
    items_required: str, required_line_items: Sequence[Mapping[str, Any]], field_name: str
) -> None:
    """A job of a MANDATORY service must say which items it needs: without requiredLineItems it
    could never tell when its items are there, so such a job is refused on creation (the other
    choice DOMAIN §6 allows, waiting NOT_READY forever, would strand it: requiredLineItems
    cannot be changed after creation)."""
    if items_required == "MANDATORY" and not required_line_items:
        raise DomainError.one(
            ErrorCode.VALIDATION_FAILED,
            "The custom service requires items (itemsRequired MANDATORY) but names none; give "
            "requiredLineItems.",
            field_name,
        )


@dataclass(frozen=True, slots=True)
class Usage:
    """One entry of executedServiceJobData (derived, see `executed`)."""

    job_id: str
    sequence: int
    applied_quantity: int
    items_returnable: bool


@dataclass(frozen=True, slots=True)
class Held:
    """Units of an item a job holds itself: `created` from its own line item, `selected`."""

    job_id: str
    created: int = 0
    selected: int = 0

    @property
    def units(self) -> int:
        return self.created + self.selected


def available_by_record(quantity: int, most_applied: int | None) -> int:
    """availableQuantity of an item by its recorded executedServiceJobData: the last job of
    the chain applies every unit held (`most_applied`, None when no job uses the item)."""
    return quantity - (most_applied or 0)


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """One available line item of the tree: what each job holds of it and, for reading, its
    executedServiceJobData as last derived."""

    id: str
    tenant_article_id: str
    quantity: int
    usages: tuple[Usage, ...] = ()
    held: tuple[Held, ...] = ()

    @property
    def used(self) -> int:
        return sum(h.units for h in self.held)

    @property
    def available_quantity(self) -> int:
        return self.quantity - self.used

    @property
    def available_as_recorded(self) -> int:
        """availableQuantity by the recorded executedServiceJobData (for reads, which do not
        load holdings): the last job of the chain applies every unit held."""
        return available_by_record(
            self.quantity, max((u.applied_quantity for u in self.usages), default=None)
        )

    def held_by(self, job_id: str) -> Held:
        return next((h for h in self.held if h.job_id == job_id), Held(job_id))

    def with_held(self, held: Held) -> ServiceItem:
        others = tuple(h for h in self.held if h.job_id != held.job_id)
        return replace(self, held=(*others, held) if held.units else others)


@dataclass(frozen=True, slots=True)
class Entry:
    service_item_ref: str
    quantity: int


@dataclass(slots=True)
class Selection:
    """The items after a select or unselect, and which of them changed."""

    items: dict[str, ServiceItem]
    changed: list[str] = field(default_factory=list)


def related(shape: TreeShape, a: str, b: str) -> bool:
    """Whether one job sits above the other (or they are the same)."""
    if a == b:
        return True
    link_a, link_b = shape.link_of_job[a], shape.link_of_job[b]
    return link_a in shape.ancestors(link_b) or link_b in shape.ancestors(link_a)


def path_up(shape: TreeShape, job_id: str) -> list[str]:
    """The job and every job above it, nearest first."""
    link = shape.link_of_job[job_id]
    return [job_id, *(shape.links[a].job_id for a in shape.ancestors(link))]


def lowest_holder(shape: TreeShape, item: ServiceItem) -> str | None:
    """The holder every other holder sits above (holders form one chain)."""
    holders = [h.job_id for h in item.held if h.units]
    if not holders:
        return None
    return max(holders, key=lambda job: shape.depth(shape.link_of_job[job]))


def applied(shape: TreeShape, item: ServiceItem, job_id: str) -> int:
    """Units of the item `job_id` works on: its own and every job's beneath it."""
    link = shape.link_of_job[job_id]
    beneath = {shape.links[d].job_id for d in shape.descendants(link)}
    return sum(h.units for h in item.held if h.job_id == job_id or h.job_id in beneath)


def executed(
    shape: TreeShape, item: ServiceItem, returnable: Mapping[str, bool]
) -> tuple[Usage, ...]:
    """executedServiceJobData: from the lowest holder up to the root, sequence 1, 2, 3 …, each
    with the units it works on (what it holds plus what was passed on to it)."""
    lowest = lowest_holder(shape, item)
    if lowest is None:
        return ()
    own = {h.job_id: h.units for h in item.held}
    usages: list[Usage] = []
    running = 0
    for sequence, job in enumerate(path_up(shape, lowest), start=1):
        running += own.get(job, 0)
        usages.append(Usage(job, sequence, running, returnable.get(job, False)))
    return tuple(usages)


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
) -> Selection:
    """The job selects further units; they join its lineItems and pass on to the jobs above."""
    _check_request(status, entries, items, "select")
    result = Selection(items=dict(items))
    problems = Problems()
    for index, entry in enumerate(entries):
        where = f"items.{index}"
        item = items[entry.service_item_ref]
        parallel = [h.job_id for h in item.held if not related(shape, h.job_id, job_id)]
        if parallel:
            problems.add_conflict(
                f"Item {item.id!r} is already used by service job {parallel[0]!r} in a "
                "parallel branch; only the jobs above it may use it too.",
                f"{where}.serviceItemRef",
            )
            continue
        if entry.quantity > item.available_quantity:
            problems.too_many(
                f"Item {item.id!r} has {item.available_quantity} of {item.quantity} units left; "
                f"{entry.quantity} were asked for.",
                f"{where}.quantity",
            )
            continue
        held = item.held_by(job_id)
        result.items[item.id] = item.with_held(
            replace(held, selected=held.selected + entry.quantity)
        )
        result.changed.append(item.id)
    rows = sum(line_item_count(item, job_id) for item in result.items.values())
    if rows > MAX_LINE_ITEMS_PER_JOB:
        problems.too_many(
            f"A job has at most {MAX_LINE_ITEMS_PER_JOB} line items, its own and the items it "
            f"selected; this would make {rows}.",
            "items",
        )
    problems.raise_if_any()
    return result


def line_item_count(item: ServiceItem, job_id: str) -> int:
    """The job's line items of this item: its own one and the one holding what it selected."""
    held = item.held_by(job_id)
    return (held.created > 0) + (held.selected > 0)


def unselect_items(
    shape: TreeShape,
    items: Mapping[str, ServiceItem],
    job_id: str,
    status: JobStatus,
    entries: Sequence[Entry],
) -> Selection:
    """The job gives back units it selected; what it was created with or what was passed on
    from beneath stays."""
    _check_request(status, entries, items, "unselect")
    result = Selection(items=dict(items))
    problems = Problems()
    for index, entry in enumerate(entries):
        where = f"items.{index}"
        item = items[entry.service_item_ref]
        held = item.held_by(job_id)
        if entry.quantity <= held.selected:
            result.items[item.id] = item.with_held(
                replace(held, selected=held.selected - entry.quantity)
            )
            result.changed.append(item.id)
            continue
        works_on = applied(shape, item, job_id)
        if works_on == 0:
            problems.invalid(f"The job does not use item {item.id!r}.", f"{where}.serviceItemRef")
        elif works_on >= entry.quantity:
            problems.add_conflict(
                f"The job selected {held.selected} units of item {item.id!r}; the other "
                f"{works_on - held.selected} it works on were passed on from beneath or are its "
                "own line items, and cannot be unselected.",
                f"{where}.quantity",
            )
        else:
            problems.invalid(
                f"The job works on {works_on} units of item {item.id!r}.", f"{where}.quantity"
            )
    problems.raise_if_any()
    return result


def _needed(required: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    needed: dict[str, int] = {}
    for line in required:
        article = line["article"]["tenantArticleId"]
        needed[article] = needed.get(article, 0) + int(line["quantity"])
    return needed


def item_sub_status(
    shape: TreeShape,
    items: Iterable[ServiceItem],
    job_id: str,
    required: Sequence[Mapping[str, Any]],
) -> str | None:
    """None when the job has its required items (by article and quantity; its own, selected or
    passed on from beneath); LINE_ITEMS_MISSING while the tree could still provide them;
    REQUIRED_LINE_ITEMS_UNFULFILLABLE when even every unit not taken by a parallel branch would
    not be enough (units held by jobs beneath or above it could still come to it)."""
    needed = _needed(required)
    if not needed:
        return None
    have: dict[str, int] = {}
    could: dict[str, int] = {}
    for item in items:
        article = item.tenant_article_id
        if article not in needed:
            continue
        have[article] = have.get(article, 0) + applied(shape, item, job_id)
        if all(related(shape, h.job_id, job_id) for h in item.held):
            could[article] = could.get(article, 0) + item.quantity
    if all(have.get(a, 0) >= n for a, n in needed.items()):
        return None
    if any(could.get(a, 0) < n for a, n in needed.items()):
        return REQUIRED_LINE_ITEMS_UNFULFILLABLE
    return LINE_ITEMS_MISSING


def settle(
    shape: TreeShape,
    statuses: Mapping[str, JobStatus],
    items: Sequence[ServiceItem],
    needs: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, str | None]:
    """The item sub-status every NOT_READY job should have now (`needs`: the required line
    items of each job that needs items). Jobs past NOT_READY keep theirs: nothing can take
    their items away any more."""
    return {
        job: item_sub_status(shape, items, job, needs[job]) if job in needs else None
        for job, status in statuses.items()
        if status is JobStatus.NOT_READY
    }
