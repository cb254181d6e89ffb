"""Reading the outbox, in id order (ids grow in commit order within a tenant)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, func, select
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection
from app.domain.errors import BadRequest
from app.repositories.pagination import LazyCursors, Page, PageRequest
from app.repositories.tree_reads import (
    LazyRow,
    decoded_rows,
    in_list,
    kept_statement,
    list_parameter,
    undecoded_columns,
)

EVENT = tables.Event
_CURSOR_PREFIX = b"event:"
#: Event ids are BIGINT: a larger number is no id, and the drivers refuse to send it.
_MAX_EVENT_ID = 2**63 - 1


def encode_event_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(_CURSOR_PREFIX + str(event_id).encode()).decode().rstrip("=")


def decode_event_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError("not an event cursor")
        ident = int(raw[len(_CURSOR_PREFIX) :])
        if not 0 <= ident <= _MAX_EVENT_ID:
            raise ValueError("not an event id")
        return ident
    except (ValueError, binascii.Error) as exc:
        raise BadRequest(f"The cursor {cursor[:80]!r} is not valid.") from exc


@dataclass(frozen=True, slots=True)
class EventFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    event_types: frozenset[str] | None = None


#: What an event shows (its tenant is the caller's).
_EVENT_COLUMNS, _EVENT_DECODERS = undecoded_columns(EVENT.__table__)  # type: ignore[attr-defined]
_SHOWN = [column for column in _EVENT_COLUMNS if column.name != "tenant"]


def _conditions(shape: tuple[bool, ...], postgresql: bool) -> list[Any]:
    """The conditions of a filter of this shape (which of facilities, entity type, entity id
    and event types it has), every value a named parameter (lists: one list parameter)."""
    facilities, entity_type, entity_id, event_types = shape
    conditions: list[Any] = [col(EVENT.tenant) == bindparam("tenant")]
    if facilities:
        conditions.append(in_list(col(EVENT.facility_ref), "facilities", postgresql))
    if entity_type:
        conditions.append(col(EVENT.entity_type) == bindparam("entity_type"))
    if entity_id:
        conditions.append(col(EVENT.entity_id) == bindparam("entity_id"))
    if event_types:
        conditions.append(in_list(col(EVENT.event_type), "event_types", postgresql))
    return conditions


class EventReads:
    """The caller's events read on a read connection (driver rows, no transaction): each
    statement is built and compiled once per shape of filter."""

    def __init__(
        self,
        reads: ReadConnection,
        tenant: str,
        flt: EventFilter,
        facilities: Collection[str] | None,
    ) -> None:
        self.reads = reads
        postgresql = reads.postgresql
        self.shape = (
            facilities is not None,
            flt.entity_type is not None,
            flt.entity_id is not None,
            flt.event_types is not None,
        )
        self.parameters: dict[str, Any] = {"tenant": tenant}
        if facilities is not None:
            self.parameters["facilities"] = list_parameter(sorted(facilities), postgresql)
        if flt.entity_type is not None:
            self.parameters["entity_type"] = flt.entity_type
        if flt.entity_id is not None:
            self.parameters["entity_id"] = flt.entity_id
        if flt.event_types is not None:
            self.parameters["event_types"] = list_parameter(sorted(flt.event_types), postgresql)

    async def page(self, page: PageRequest) -> Page[LazyRow]:
        """The events after the page's cursor, oldest first."""
        after = page.after is not None
        postgresql = self.reads.postgresql

        def build() -> Any:
            conditions = _conditions(self.shape, postgresql)
            if after:
                conditions.append(col(EVENT.id) > bindparam("after", type_=BigInteger))
            return (
                select(*_SHOWN)
                .where(*conditions)
                .order_by(col(EVENT.id))
                .limit(bindparam("page_rows", type_=Integer))
            )

        statement = kept_statement(("events", self.shape, after, postgresql), build)
        parameters = {**self.parameters, "page_rows": page.first + 1}
        if page.after is not None:
            parameters["after"] = decode_event_cursor(page.after)
        names, records = await self.reads.rows(statement, parameters)
        rows = decoded_rows(records, names, _EVENT_DECODERS, ())
        has_next = len(rows) > page.first
        rows = rows[: page.first]
        return Page(
            rows=rows,
            cursors=LazyCursors(rows, lambda row: encode_event_cursor(row.id)),
            has_next_page=has_next,
            has_previous_page=page.after is not None,
        )

    async def count(self) -> int:
        postgresql = self.reads.postgresql
        statement = kept_statement(
            ("events counted", self.shape, postgresql),
            lambda: (
                select(func.count()).select_from(EVENT).where(*_conditions(self.shape, postgresql))
            ),
        )
        _, records = await self.reads.rows(statement, self.parameters)
        return int(records[0][0])
