"""Webhook subscriptions and their deliveries, as a tenant's callers read and change them. (The
delivery worker's queue, which works across tenants, is app/repositories/webhook_queue.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.repositories.pagination import (
    Page,
    PageRequest,
    count,
    decode_cursor,
    encode_cursor,
    fetch_page,
)

SUB = tables.WebhookSubscription
DELIVERY = tables.WebhookDelivery
EVENT = tables.Event


class WebhookRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    async def get(self, ident: str) -> tables.WebhookSubscription | None:
        result = await self.session.exec(
            select(SUB).where(SUB.id == ident, SUB.tenant == self.tenant)
        )
        return result.first()

    async def count(self) -> int:
        return await count(self.session, SUB, col(SUB.tenant) == self.tenant)

    async def last_event_id(self) -> int:
        """The tenant's newest event id (0 when it has none): a new subscription receives what
        comes after it. Ids grow in commit order within a tenant (app/events/outbox.py), so an
        event committed later always has a larger id."""
        result = await self.session.exec(
            select(func.max(EVENT.id)).where(col(EVENT.tenant) == self.tenant)
        )
        return int(result.one() or 0)

    async def add(self, row: tables.WebhookSubscription) -> None:
        self.session.add(row)
        await self.session.flush()

    async def delete(self, ident: str) -> None:
        """The subscription and (by cascade, and explicitly for SQLite files made without
        foreign keys) its deliveries."""
        await self.session.exec(
            delete(DELIVERY).where(
                col(DELIVERY.subscription_id) == ident, col(DELIVERY.tenant) == self.tenant
            )
        )
        await self.session.exec(
            delete(SUB).where(col(SUB.id) == ident, col(SUB.tenant) == self.tenant)
        )

    async def visible(
        self, sees: Callable[[tables.WebhookSubscription], bool]
    ) -> list[tables.WebhookSubscription]:
        """The tenant's subscriptions `sees` admits, oldest first (a tenant has at most
        MAX_SUBSCRIPTIONS_PER_TENANT, so they are filtered here rather than in SQL)."""
        result = await self.session.exec(
            select(SUB).where(SUB.tenant == self.tenant).order_by(col(SUB.created), col(SUB.id))
        )
        return [row for row in result.all() if sees(row)]

    async def page_deliveries(
        self, subscription_id: str, status: str | None, page: PageRequest
    ) -> Page[tables.WebhookDelivery]:
        statement = select(DELIVERY).where(*self._delivery_conditions(subscription_id, status))
        return await fetch_page(
            self.session, statement, col(DELIVERY.created), col(DELIVERY.id), page
        )

    async def count_deliveries(self, subscription_id: str, status: str | None) -> int:
        return await count(
            self.session, DELIVERY, *self._delivery_conditions(subscription_id, status)
        )

    def _delivery_conditions(self, subscription_id: str, status: str | None) -> list[Any]:
        conditions: list[Any] = [
            col(DELIVERY.tenant) == self.tenant,
            col(DELIVERY.subscription_id) == subscription_id,
        ]
        if status is not None:
            conditions.append(col(DELIVERY.status) == status)
        return conditions


def page_in_memory(
    rows: list[tables.WebhookSubscription], page: PageRequest
) -> Page[tables.WebhookSubscription]:
    """A page of rows already in (created, id) order, with the cursors every list uses."""
    if page.after is not None:
        after = decode_cursor(page.after)
        rows = [row for row in rows if (row.created, row.id) > after]
    chosen = rows[: page.first]
    return Page(
        rows=chosen,
        cursors=[encode_cursor(row.created, row.id) for row in chosen],
        has_next_page=len(rows) > page.first,
        has_previous_page=page.after is not None,
    )
