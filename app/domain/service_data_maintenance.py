"""Correcting a tree's service data (DOMAIN §6): adding, removing and updating its available
line items. Pure rules; nothing may go below the units jobs already hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from app.domain.custom_services import Article, check_article
from app.domain.errors import ErrorCode, Problems
from app.domain.service_data import MAX_ENTRIES, ServiceItem

MAX_QUANTITY = 1_000_000
MAX_ITEMS_PER_TREE = 1000


@dataclass(frozen=True, slots=True)
class NewItem:
    article: Article
    quantity: int


@dataclass(frozen=True, slots=True)
class QuantityChange:
    service_item_ref: str
    quantity: int


def _check_count(count: int, field_name: str, problems: Problems) -> None:
    if not 1 <= count <= MAX_ENTRIES:
        problems.add(
            ErrorCode.LIMIT_EXCEEDED if count else ErrorCode.VALIDATION_FAILED,
            f"Give 1 to {MAX_ENTRIES} items.",
            field_name,
        )


def _check_quantity(quantity: int, where: str, problems: Problems) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        problems.invalid(f"quantity must be 1 to {MAX_QUANTITY}.", where)


def check_new_items(items: Sequence[NewItem], total_after: int, problems: Problems) -> None:
    """New items: 1 to 50 at a time, quantities at least 1, an article id each; a tree holds at
    most 1000 items."""
    _check_count(len(items), "items", problems)
    for index, item in enumerate(items):
        where = f"items.{index}"
        _check_quantity(item.quantity, f"{where}.quantity", problems)
        check_article(item.article, f"{where}.article", problems)
    if total_after > MAX_ITEMS_PER_TREE:
        problems.too_many(
            f"A tree's service data holds at most {MAX_ITEMS_PER_TREE} items.", "items"
        )


def _known(
    ref: str, items: Mapping[str, ServiceItem], seen: set[str], where: str, problems: Problems
) -> ServiceItem | None:
    if ref in seen:
        problems.invalid("The same item is listed twice.", where)
        return None
    seen.add(ref)
    item = items.get(ref)
    if item is None:
        problems.add(ErrorCode.NOT_FOUND, f"Item {ref!r} is not in this service data.", where)
    return item


def check_removal(
    items: Mapping[str, ServiceItem], refs: Sequence[str], problems: Problems
) -> None:
    """Only items no job holds can be removed (a job's own line item is held by it)."""
    _check_count(len(refs), "serviceItemRefs", problems)
    seen: set[str] = set()
    for index, ref in enumerate(refs):
        where = f"serviceItemRefs.{index}"
        item = _known(ref, items, seen, where, problems)
        if item is not None and item.used:
            holders = ", ".join(repr(h.job_id) for h in item.held)
            problems.add_conflict(
                f"{item.used} units of item {ref!r} are applied (by {holders}); unselect them "
                "first.",
                where,
            )


def apply_quantities(
    items: Mapping[str, ServiceItem], changes: Sequence[QuantityChange], problems: Problems
) -> dict[str, ServiceItem]:
    """The items with their new quantities; never below the units already applied."""
    _check_count(len(changes), "items", problems)
    result: dict[str, ServiceItem] = {}
    seen: set[str] = set()
    for index, change in enumerate(changes):
        where = f"items.{index}"
        item = _known(change.service_item_ref, items, seen, f"{where}.serviceItemRef", problems)
        _check_quantity(change.quantity, f"{where}.quantity", problems)
        if item is None:
            continue
        if change.quantity < item.used:
            problems.add_conflict(
                f"{item.used} units of item {item.id!r} are already applied; its quantity cannot "
                f"go below that ({change.quantity} was given).",
                f"{where}.quantity",
            )
            continue
        result[item.id] = replace(item, quantity=change.quantity)
    return result
