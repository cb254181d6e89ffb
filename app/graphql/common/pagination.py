"""Relay-style connections (`first`/`after`, `pageInfo`, `totalCount`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from operator import attrgetter
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import SessionFactory
from app.domain.errors import BadRequest
from app.graphql.read_path.sources import reads, row_value
from app.repositories.keyset import Window
from app.repositories.pagination import Page, PageRequest
from app.settings import Settings

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")

#: The paging arguments every list field takes.
First = Annotated[int | None, strawberry.argument(description="Page size (default 20, ≤ 100).")]
After = Annotated[str | None, strawberry.argument(description="Cursor to continue after.")]
Last = Annotated[
    int | None,
    strawberry.argument(description="Page size counted back from `before` or the end (≤ 100)."),
]
Before = Annotated[
    str | None, strawberry.argument(description="Cursor to continue before (paging backwards).")
]


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass it as `after` for the next page."
    )


def _edge_cursor(edge: Edge[Any]) -> str:
    return edge._cursors[edge._index]


def _cursor(root: Edge[Any]) -> str:
    # The page's cursors are encoded when read (app/repositories/pagination.py).
    return _edge_cursor(root)


@strawberry.type(description="An item of a list with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="Opaque position of this item in the list.",
        resolver=_cursor,
        metadata=reads(getter=row_value(_edge_cursor)),
    )
    node: NodeT = strawberry.field(description="The item.")
    _cursors: strawberry.Private[Sequence[str]]
    _index: strawberry.Private[int]


class TotalCounts:
    """`totalCount` for the compiled walk: counted (one statement per connection) before the
    level is completed, only when the document asks for it."""

    async def fetch(self, context: object, parents: Sequence[Any]) -> Sequence[Any]:
        for connection in parents:
            if "_total_count" not in connection.__dict__:
                connection.__dict__["_total_count"] = await connection._count()
        return ()


TOTAL_COUNTS = TotalCounts()


@strawberry.type(
    description="A page of a list, in a stable order (the list's own or the one asked for)."
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="How many items the whole list holds, over all pages.",
        metadata=reads(getter=row_value(attrgetter("_total_count")), relation=TOTAL_COUNTS),
    )
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def page_request(settings: Settings, first: int | None, after: str | None) -> PageRequest:
    size = settings.default_page_size if first is None else first
    if not 0 <= size <= settings.max_page_size:
        raise BadRequest(f"`first` must be between 0 and {settings.max_page_size}.")
    return PageRequest(first=size, after=after)


def page_window(
    settings: Settings,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Window:
    """Forwards (`first`, default) or backwards (`last`), never both at once."""
    if first is not None and last is not None:
        raise BadRequest("Give `first` or `last`, not both.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= settings.max_page_size:
            raise BadRequest(f"`{name}` must be between 0 and {settings.max_page_size}.")
    if last is None and first is None:
        first = settings.default_page_size
    return Window(first=first, last=last, after=after, before=before)


def to_connection(
    page: Page[RowT],
    convert: Callable[[RowT], NodeT],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    cursors: Sequence[str] = page.cursors
    return Connection(
        edges=[
            Edge(_cursors=cursors, _index=index, node=convert(row))
            for index, row in enumerate(page.rows)
        ],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        _count=count,
    )


async def paged(
    db: SessionFactory,
    fetch: Callable[[AsyncSession], Awaitable[Page[RowT]]],
    count: Callable[[AsyncSession], Awaitable[int]],
    convert: Callable[[RowT], NodeT],
) -> Connection[NodeT]:
    """One page in its own session; `totalCount` in another, only if it is asked for."""
    async with db() as session:
        rows = await fetch(session)

    async def total() -> int:
        async with db() as session:
            return await count(session)

    return to_connection(rows, convert, total)
