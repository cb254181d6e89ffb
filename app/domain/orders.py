"""Orders whose nested custom services become one linked service jobs tree (DOMAIN §5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.domain.errors import Problems
from app.domain.job_status import TERMINAL, JobStatus

MAX_PER_LEVEL = 15
MAX_PER_ORDER = 50
MAX_DEPTH = 25


@dataclass(frozen=True, slots=True)
class OrderArticle:
    tenant_article_ref: str
    quantity: int


@dataclass(slots=True)
class OrderItem:
    """One nested custom service of an order: its service, its own articles, its children."""

    custom_service_ref: str | None
    tenant_custom_service_id: str | None
    article_items: Sequence[OrderArticle] = ()
    children: Sequence[OrderItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """A job to create: `path` is its position (indexes from the top), `parent` its parent's."""

    path: tuple[int, ...]
    parent: tuple[int, ...] | None
    item: OrderItem
    required_articles: tuple[OrderArticle, ...]


def check_order(items: Sequence[OrderItem], field_name: str, problems: Problems) -> None:
    """Limits on the nested items: 15 per level, 50 in all, 25 deep; every item names a service
    exactly one way; quantities at least 1."""
    total = 0
    stack: list[tuple[Sequence[OrderItem], str, int]] = [(items, field_name, 1)]
    while stack:
        level, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.too_many(f"Custom services nest at most {MAX_DEPTH} levels deep.", where)
            continue
        if len(level) > MAX_PER_LEVEL:
            problems.too_many(f"At most {MAX_PER_LEVEL} custom services per level.", where)
        total += len(level)
        for index, item in enumerate(level):
            here = f"{where}.{index}"
            if (item.custom_service_ref is None) == (item.tenant_custom_service_id is None):
                problems.invalid(
                    "Name the custom service by exactly one of customServiceRef and "
                    "tenantCustomServiceId.",
                    f"{here}.customServiceDefinition",
                )
            for a_index, article in enumerate(item.article_items):
                if article.quantity < 1:
                    problems.invalid(
                        "quantity must be at least 1.", f"{here}.articleItems.{a_index}.quantity"
                    )
            stack.append((item.children, f"{here}.customServiceItems", depth + 1))
    if total == 0:
        problems.invalid("An order needs at least one custom service.", field_name)
    if total > MAX_PER_ORDER:
        problems.too_many(f"An order holds at most {MAX_PER_ORDER} custom services.", field_name)


def plan_jobs(items: Sequence[OrderItem]) -> list[PlannedJob]:
    """Jobs in creation order (parents before children). Each job requires its own articles and
    those of every item beneath it, summed per article."""
    planned: list[PlannedJob] = []

    def required(item: OrderItem) -> dict[str, int]:
        totals: dict[str, int] = {}
        for article in item.article_items:
            totals[article.tenant_article_ref] = totals.get(article.tenant_article_ref, 0) + (
                article.quantity
            )
        for child in item.children:
            for ref, quantity in required(child).items():
                totals[ref] = totals.get(ref, 0) + quantity
        return totals

    def walk(level: Sequence[OrderItem], parent: tuple[int, ...] | None) -> None:
        for index, item in enumerate(level):
            path = (*(parent or ()), index)
            articles = tuple(OrderArticle(ref, qty) for ref, qty in required(item).items())
            planned.append(PlannedJob(path, parent, item, articles))
            walk(item.children, path)

    walk(items, None)
    return planned


def carried(articles: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Units per article of an order's line items."""
    totals: dict[str, int] = {}
    for article, quantity in articles:
        totals[article] = totals.get(article, 0) + quantity
    return totals


def check_job_supplied(
    required: Sequence[Mapping[str, Any]],
    carried_units: Mapping[str, int],
    where: str,
    problems: Problems,
) -> None:
    """A job of an order that needs items must find them in the order's line items (they are
    all its tree's service data has): else it could never open."""
    needed: dict[str, int] = {}
    for line in required:
        article = line["article"]["tenantArticleId"]
        needed[article] = needed.get(article, 0) + int(line["quantity"])
    for article, quantity in needed.items():
        if carried_units.get(article, 0) < quantity:
            problems.invalid(
                f"The job needs {quantity} of article {article!r}; the order's lineItems carry "
                f"{carried_units.get(article, 0)}.",
                where,
            )


@dataclass(frozen=True, slots=True)
class JobEnd:
    """What an order's status needs of one of its jobs."""

    status: str
    ended_at: datetime | None


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def order_status(jobs: Sequence[JobEnd]) -> str:
    """OPEN while any job has not ended (or the order has none). Once every job has ended, the
    order takes the outcome of the job that was finished or cancelled last (seed 000: "If the
    given job is the only active job in the order, then it marks the entire order as complete"
    / "as cancelled"): CANCELLED when the last active job was cancelled, even if a sibling
    finished before; COMPLETED when it finished. OBSOLETE decides nothing (an order whose jobs
    all became obsolete is CANCELLED). Jobs ending at the same instant (a cancel and the
    dependents it cascades to) are one outcome; should a finish and a cancel of two trees of one
    order ever tie, the cancel wins."""
    if not jobs or any(JobStatus(j.status) not in TERMINAL for j in jobs):
        return "OPEN"
    deciding = [j for j in jobs if JobStatus(j.status) is not JobStatus.OBSOLETE]
    if not deciding:
        return "CANCELLED"
    last = max(j.ended_at or _EARLIEST for j in deciding)
    outcomes = {JobStatus(j.status) for j in deciding if (j.ended_at or _EARLIEST) == last}
    return "CANCELLED" if JobStatus.CANCELLED in outcomes else "COMPLETED"
