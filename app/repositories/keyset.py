"""Keyset pages in either direction over (sort key, id), forwards (`first`/`after`) or backwards
(`last`/`before`): a cursor holds the sort key's name, its value and the row's id, so a page
continues exactly after the row it names, however many rows were written meanwhile."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import tuple_
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.db.tables import ID_LENGTH
from app.domain.errors import BadRequest
from app.repositories.pagination import LazyCursors, Page


@dataclass(frozen=True, slots=True)
class Window:
    """Which page: `first` rows after `after`, or the `last` rows before `before` (either
    cursor may bound both)."""

    first: int | None = None
    last: int | None = None
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class SortKey:
    """The column a list is ordered by (ties broken by id) and its direction."""

    name: str
    column: Any
    attribute: str
    descending: bool = False


def encode_cursor(key: SortKey, value: datetime, ident: str) -> str:
    raw = orjson.dumps([key.name, value.isoformat(), ident])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(key: SortKey, cursor: str) -> tuple[datetime, str]:
    """The (sort value, id) of a cursor made by encode_cursor for the same sort key; anything
    else (garbage, another list's cursor, an id no row can have) is a BadRequest."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, ident = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time has an offset")
        if not isinstance(ident, str) or not 0 < len(ident) <= ID_LENGTH or "\x00" in ident:
            raise ValueError("a cursor's id is a row's id")
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequest(f"The cursor {cursor[:80]!r} is not valid.") from exc
    if name != key.name:
        raise BadRequest(
            f"The cursor {cursor[:80]!r} belongs to a list ordered by {str(name)[:20]}, "
            f"not by {key.name}."
        )
    return moment.astimezone(UTC), ident


def keyset_statement(
    statement: SelectOfScalar[Any], key: SortKey, id_col: Any, window: Window
) -> SelectOfScalar[Any]:
    """`statement` (already filtered) within the window's cursors, in the order rows are read:
    the key's order, or the opposite one for a backward page (read next to `before`, then
    turned round), one row more than the page to tell whether more follow."""
    position = tuple_(key.column, id_col)
    if window.after is not None:
        after = tuple_(*decode_cursor(key, window.after))
        statement = statement.where(position < after if key.descending else position > after)
    if window.before is not None:
        before = tuple_(*decode_cursor(key, window.before))
        statement = statement.where(position > before if key.descending else position < before)
    descending = key.descending != _backwards(window)
    order = (key.column.desc(), id_col.desc()) if descending else (key.column, id_col)
    return statement.order_by(*order).limit(_size(window) + 1)


def _backwards(window: Window) -> bool:
    return window.last is not None and window.first is None


def _size(window: Window) -> int:
    size = window.last if _backwards(window) else window.first
    assert size is not None
    return size


async def fetch_keyset_page(
    session: AsyncSession | None,
    statement: SelectOfScalar[Any],
    key: SortKey,
    id_col: Any,
    window: Window,
    read: Callable[[Any], Awaitable[Sequence[Any]]] | None = None,
) -> Page[Any]:
    """Run `statement` (already filtered) in the key's order, within the window's cursors;
    `read` runs the final statement when its rows are not ORM objects (they need the sort
    key's attribute and an `id`); without it, `session` does."""
    final = keyset_statement(statement, key, id_col, window)
    if read is None:
        assert session is not None, "a keyset page is read by a session or by `read`"
        rows = list((await session.exec(final)).all())
    else:
        rows = list(await read(final))
    size, backwards = _size(window), _backwards(window)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    return Page(
        rows=rows,
        cursors=LazyCursors(
            rows, lambda row: encode_cursor(key, getattr(row, key.attribute), row.id)
        ),
        has_next_page=window.before is not None if backwards else more,
        has_previous_page=more if backwards else window.after is not None,
    )
