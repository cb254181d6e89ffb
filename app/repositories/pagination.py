"""Keyset pagination over (created, id): stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

import orjson
from sqlalchemy import ColumnElement, func, tuple_
from sqlalchemy import select as core_select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.db.row_reads import ReadConnection
from app.db.tables import ID_LENGTH
from app.domain.errors import BadRequest

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: str | None = None


class LazyCursors(Sequence[str]):
    """The cursors of a page's rows, each encoded the first time it is read: a page whose
    document selects no cursor (`nodes { ... }`) encodes none."""

    __slots__ = ("_done", "_encode", "_rows")

    def __init__(self, rows: Sequence[T], encode: Callable[[T], str]) -> None:
        self._rows: Sequence[Any] = rows
        self._encode: Callable[[Any], str] = encode
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        if index < 0:
            index += len(self._rows)
        cursor = self._done.get(index)
        if cursor is None:
            cursor = self._done[index] = self._encode(self._rows[index])
        return cursor


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows with each row's cursor."""

    rows: Sequence[T]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool


def encode_cursor(created: datetime, ident: str) -> str:
    raw = orjson.dumps([created.isoformat(), ident])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created, id) a cursor made by encode_cursor holds; anything else, such as a moment
    outside UTC's range or an id no row can have (PostgreSQL errors on NUL), is a BadRequest."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, ident = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time has an offset")
        if not isinstance(ident, str) or not 0 < len(ident) <= ID_LENGTH or "\x00" in ident:
            raise ValueError("a cursor's id is a row's id")
        return moment.astimezone(UTC), ident
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequest(f"The cursor {cursor[:80]!r} is not valid.") from exc


def page_statement(statement: Any, created_col: Any, id_col: Any, page: PageRequest) -> Any:
    """`statement` (already filtered) ordered by (created, id), from after the cursor, with one
    row more than the page to tell whether another page follows."""
    if page.after is not None:
        created, ident = decode_cursor(page.after)
        statement = statement.where(tuple_(created_col, id_col) > tuple_(created, ident))
    return statement.order_by(created_col, id_col).limit(page.first + 1)


def page_of(rows: Sequence[Any], page: PageRequest) -> Page[Any]:
    """The page of the rows `page_statement` read (rows with `created` and `id`)."""
    has_next = len(rows) > page.first
    rows = rows[: page.first]
    return Page(
        rows=rows,
        cursors=LazyCursors(rows, lambda row: encode_cursor(row.created, row.id)),
        has_next_page=has_next,
        has_previous_page=page.after is not None,
    )


async def fetch_page(
    session: AsyncSession,
    statement: SelectOfScalar[Any],
    created_col: Any,
    id_col: Any,
    page: PageRequest,
) -> Page[Any]:
    """Run `statement` (already filtered) ordered by (created, id), from after the cursor."""
    final = page_statement(statement, created_col, id_col, page)
    return page_of(list((await session.exec(final)).all()), page)


async def count(session: AsyncSession, table: Any, *where: ColumnElement[bool]) -> int:
    result = await session.exec(select(func.count()).select_from(table).where(*where))
    return int(result.one())


async def count_rows(reads: ReadConnection, table: Any, *where: ColumnElement[bool]) -> int:
    """`count` on a read connection (one that takes statements carrying their values)."""
    _, records = await reads.rows(core_select(func.count()).select_from(table).where(*where), {})
    return int(records[0][0])
