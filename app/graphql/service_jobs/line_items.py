"""Output types of a job's line items: its own, and those it inherits from the jobs beneath."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry

from app.graphql.common.articles import Article
from app.graphql.common.build import build, read_through
from app.graphql.common.scalars import JSONObject
from app.graphql.read_path.sources import reads, row_fields, row_value


def _codes(row: Any) -> list[str]:
    return row.scannable_codes or []


@strawberry.type(description="An item a service job works on.")
class LineItem:
    # The compiled walk reads a line item's row itself: its article is the stored JSON object
    # (see Article's sources).
    id: strawberry.ID = strawberry.field(description="Id of the line item.", metadata=reads("id"))
    article: Article = strawberry.field(
        description="The article.",
        metadata=reads("article", made=lambda row: Article.from_json(row.article)),
    )
    quantity: int = strawberry.field(
        description="How many (at least 1).", metadata=reads("quantity")
    )
    scannable_codes: list[str] = strawberry.field(
        description="Barcodes and the like.",
        metadata=reads("scannable_codes", getter=row_value(_codes), made=_codes),
    )
    custom_attributes: JSONObject | None = strawberry.field(
        description="Free-form attributes.", metadata=reads("custom_attributes")
    )

    @classmethod
    def from_row(cls, row: Any) -> LineItem:
        return build(cls, **{name: make(row) for name, make in LINE_ITEM_FIELDS.items()})


def _fields_of_row() -> dict[str, Callable[[Any], Any]]:
    plain, made = row_fields(LineItem)
    return {**{name: attrgetter(column) for name, column in plain.items()}, **made}


#: How each field of a LineItem is made from its row, from the fields' sources.
LINE_ITEM_FIELDS = _fields_of_row()


class TreeLineItem(LineItem):
    """A LineItem of a tree read whole, whose fields read through to its row: the read took
    only the columns its document's fields need (ITEM_COLUMNS_OF_FIELD)."""

    @classmethod
    def of(cls, row: Any) -> LineItem:
        return build(cls, _row=row)


for _name, _make in LINE_ITEM_FIELDS.items():
    setattr(TreeLineItem, _name, read_through(_make))


@strawberry.type(description="A line item a job inherits from a job beneath it in its tree.")
class InheritedLineItem:
    service_job_ref: strawberry.ID = strawberry.field(description="The job it comes from.")
    id: strawberry.ID = strawberry.field(description="Id of the line item.")
    article: Article = strawberry.field(description="The article.")
    quantity: int = strawberry.field(description="How many.")
    scannable_codes: list[str] = strawberry.field(description="Barcodes and the like.")


def _article(row: Any) -> Article:
    return Article.from_json(row.article)


def _id(row: Any) -> strawberry.ID:
    return strawberry.ID(row.id)


class TreeInheritedLineItem(InheritedLineItem):
    """An InheritedLineItem of a tree's snapshot, whose fields read through to the line item's
    row when read: a job high in a big tree inherits thousands, and a query often reads one
    or two fields of each (its article is made only when asked for)."""

    @classmethod
    def of(cls, job_id: str, row: Any) -> InheritedLineItem:
        return build(cls, _row=row, service_job_ref=strawberry.ID(job_id))


#: How each field of an inherited line item is made from its row.
INHERITED_FIELDS: dict[str, Callable[[Any], Any]] = {
    "id": _id,
    "article": _article,
    "quantity": attrgetter("quantity"),
    "scannable_codes": lambda row: list(row.scannable_codes or ()),
}
for _field, _made in INHERITED_FIELDS.items():
    setattr(TreeInheritedLineItem, _field, read_through(_made))
