"""Keyset pages in either direction over (sort key, id), forwards (`first`/`after`) or backwards
(`last`/`before`): a cursor holds the sort key's name, its value and the row's id, so a page
continues exactly after the row it names, however many rows were written meanwhile."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import Integer, Select, bindparam, tuple_
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


#: A select of rows or of one entity.
_Select = TypeVar("_Select", bound=Select[Any])


def keyset_statement(
    statement: _Select,
    key: SortKey,
    id_col: Any,
    window: Window,
    bound: bool = False,
) -> _Select:
    """`statement` (already filtered) within the window's cursors, in the order rows are read:
    the key's order, or the opposite one for a backward page (read next to `before`, then
    turned round), one row more than the page to tell whether more follow. `bound`: the
    cursors' values and the size are named parameters (keyset_parameters), so the statement
    is the same for every window of its shape and can be built and compiled once."""
    position = tuple_(key.column, id_col)
    if window.after is not None:
        after = _cursor_bounds(key, id_col, "after") if bound else decode_cursor(key, window.after)
        after_row = tuple_(*after)
        statement = statement.where(
            position < after_row if key.descending else position > after_row
        )
    if window.before is not None:
        before = (
            _cursor_bounds(key, id_col, "before") if bound else decode_cursor(key, window.before)
        )
        before_row = tuple_(*before)
        statement = statement.where(
            position > before_row if key.descending else position < before_row
        )
    descending = key.descending != _backwards(window)
    order = (key.column.desc(), id_col.desc()) if descending else (key.column, id_col)
    size: Any = bindparam("page_rows", type_=Integer) if bound else _size(window) + 1
    return statement.order_by(*order).limit(size)


def _cursor_bounds(key: SortKey, id_col: Any, side: str) -> tuple[Any, Any]:
    return (
        bindparam(f"{side}_key", type_=key.column.type),
        bindparam(f"{side}_id", type_=id_col.type),
    )


def window_shape(window: Window) -> tuple[bool, bool, bool]:
    """What makes a window's bound statement differ from another's: which cursors it has,
    and its direction."""
    return window.after is not None, window.before is not None, _backwards(window)


def keyset_parameters(key: SortKey, window: Window) -> dict[str, Any]:
    """The values of a bound keyset statement's parameters (keyset_statement)."""
    parameters: dict[str, Any] = {"page_rows": _size(window) + 1}
    for side, cursor in (("after", window.after), ("before", window.before)):
        if cursor is not None:
            parameters[f"{side}_key"], parameters[f"{side}_id"] = decode_cursor(key, cursor)
    return parameters


def _backwards(window: Window) -> bool:
    return window.last is not None and window.first is None


def _size(window: Window) -> int:
    size = window.last if _backwards(window) else window.first
    assert size is not None
    return size


async def fetch_keyset_page(
    session: AsyncSession,
    statement: SelectOfScalar[Any],
    key: SortKey,
    id_col: Any,
    window: Window,
) -> Page[Any]:
    """Run `statement` (already filtered) in the key's order, within the window's cursors."""
    final = keyset_statement(statement, key, id_col, window)
    return page_of(list((await session.exec(final)).all()), key, window)


def page_of(rows: list[Any], key: SortKey, window: Window) -> Page[Any]:
    """The page of a keyset statement's rows (one more than the page when more follow, in
    the order it read them)."""
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
