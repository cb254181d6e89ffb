"""Reading the outbox, in id order (ids grow in commit order within a tenant)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.domain.errors import BadRequest
from app.repositories.pagination import Page, PageRequest

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


class EventRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    def _conditions(self, flt: EventFilter, facilities: Collection[str] | None) -> list[Any]:
        conditions: list[Any] = [col(EVENT.tenant) == self.tenant]
        if facilities is not None:
            conditions.append(col(EVENT.facility_ref).in_(sorted(facilities)))
        if flt.entity_type is not None:
            conditions.append(col(EVENT.entity_type) == flt.entity_type)
        if flt.entity_id is not None:
            conditions.append(col(EVENT.entity_id) == flt.entity_id)
        if flt.event_types is not None:
            conditions.append(col(EVENT.event_type).in_(sorted(flt.event_types)))
        return conditions

    async def page(
        self, flt: EventFilter, page: PageRequest, facilities: Collection[str] | None
    ) -> Page[tables.Event]:
        conditions = self._conditions(flt, facilities)
        if page.after is not None:
            conditions.append(col(EVENT.id) > decode_event_cursor(page.after))
        result = await self.session.exec(
            select(EVENT).where(*conditions).order_by(col(EVENT.id)).limit(page.first + 1)
        )
        rows = list(result.all())
        has_next = len(rows) > page.first
        rows = rows[: page.first]
        return Page(
            rows=rows,
            cursors=[encode_event_cursor(row.id or 0) for row in rows],
            has_next_page=has_next,
            has_previous_page=page.after is not None,
        )

    async def count(self, flt: EventFilter, facilities: Collection[str] | None) -> int:
        result = await self.session.exec(
            select(func.count()).select_from(EVENT).where(*self._conditions(flt, facilities))
        )
        return int(result.one())
