"""The delivery worker's queue, across tenants: which subscriptions have events not yet turned
into deliveries, which deliveries are due, and what became of an attempt.

Every statement is short and row-locked for its transaction only (`FOR UPDATE SKIP LOCKED` on
PostgreSQL): several processes, behind PgBouncer in transaction pooling mode too, share the work
without waiting for each other and without any session state. SQLite has no row locks (its
compiler leaves the clause out); there one process writes at a time, so the same statements
are correct there. A delivery never crosses tenants: it joins an event with a subscription of
the event's own tenant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import tables
from app.db.core import execute_core
from app.domain.webhooks import DeliveryStatus

SUB = tables.WebhookSubscription
DELIVERY = tables.WebhookDelivery
EVENT = tables.Event
PENDING = DeliveryStatus.PENDING.value
#: The Core table: executemany updates and inserts go through Core, not the ORM's bulk modes.
DELIVERY_TABLE: Table = DELIVERY.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Behind:
    """A subscription with events after its `last_event_id`."""

    id: str
    tenant: str
    events: list[str]
    facility_refs: list[str] | None
    last_event_id: int


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery due for an attempt, with what the attempt needs."""

    id: str
    attempts: int
    claim: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """A claimed delivery: the event and where it goes."""

    id: str
    claim: str
    attempts: int
    callback_url: str
    sealed_secret: bytes
    event_id: int
    event_type: str
    entity_type: str
    entity_id: str
    facility_ref: str
    version: int
    payload: dict[str, Any]
    occurred_at: datetime


class WebhookQueue:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Fan-out: events -> deliveries.

    async def subscriptions_behind(self, limit: int) -> list[Behind]:
        """Active subscriptions whose tenant has events after their cursor, locked for this
        transaction; those another worker holds are skipped."""
        newer = exists().where(
            col(EVENT.tenant) == col(SUB.tenant), col(EVENT.id) > col(SUB.last_event_id)
        )
        result = await execute_core(
            self.session,
            select(
                col(SUB.id),
                col(SUB.tenant),
                col(SUB.events),
                col(SUB.facility_refs),
                col(SUB.last_event_id),
            )
            .where(col(SUB.active).is_(True), newer)
            .order_by(col(SUB.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=SUB),
        )
        return [Behind(**row._asdict()) for row in result.all()]

    async def events_after(self, tenant: str, after: int, limit: int) -> list[Any]:
        """(id, event_type, facility_ref) of the tenant's events after `after`, oldest first."""
        result = await execute_core(
            self.session,
            select(col(EVENT.id), col(EVENT.event_type), col(EVENT.facility_ref))
            .where(col(EVENT.tenant) == tenant, col(EVENT.id) > after)
            .order_by(col(EVENT.id))
            .limit(limit),
        )
        return list(result.all())

    async def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert deliveries; one that exists already (the same event for the same
        subscription) is left as it is."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        statement: Any = (
            postgresql.insert(DELIVERY_TABLE)
            if dialect == "postgresql"
            else sqlite.insert(DELIVERY_TABLE)
        )
        await execute_core(
            self.session, statement.on_conflict_do_nothing(), [dict(row) for row in rows]
        )

    async def advance(self, subscription_id: str, last_event_id: int) -> None:
        await execute_core(
            self.session,
            update(SUB)
            .where(col(SUB.id) == subscription_id, col(SUB.last_event_id) < last_event_id)
            .values(last_event_id=last_event_id),
        )

    # Claims: due deliveries -> attempts.

    async def due(self, now: datetime, limit: int) -> list[Due]:
        """Pending deliveries whose time has come (a new one, a retry, or one whose worker's
        lease ran out), oldest due first, locked for this transaction; those another worker
        is claiming right now are skipped."""
        result = await execute_core(
            self.session,
            select(col(DELIVERY.id), col(DELIVERY.attempts), col(DELIVERY.claim))
            .where(col(DELIVERY.status) == PENDING, col(DELIVERY.next_attempt_at) <= now)
            .order_by(col(DELIVERY.next_attempt_at), col(DELIVERY.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=DELIVERY),
        )
        return [Due(**row._asdict()) for row in result.all()]

    async def claim_many(self, changes: Sequence[Mapping[str, Any]]) -> None:
        """Each mapping: `key` (the delivery's id), `seen` (its attempts when it was read as
        due) and the columns to set, the same in each. Compare and set: a delivery whose
        attempts moved on since it was read (claimed by another worker meanwhile, which only
        SQLite's missing row locks allow) is left alone."""
        if not changes:
            return
        columns = [name for name in changes[0] if name not in {"key", "seen"}]
        await execute_core(
            self.session,
            update(DELIVERY_TABLE)
            .where(
                DELIVERY_TABLE.c.id == bindparam("key"),
                DELIVERY_TABLE.c.attempts == bindparam("seen"),
                DELIVERY_TABLE.c.status == PENDING,
            )
            # Bind names apart from the column names, which SQLAlchemy keeps for itself.
            .values({name: bindparam(f"new_{name}") for name in columns}),
            [
                {
                    "key": change["key"],
                    "seen": change["seen"],
                    **{f"new_{name}": change[name] for name in columns},
                }
                for change in changes
            ],
        )

    async def attempts(self, claims: Sequence[str]) -> list[Attempt]:
        """The deliveries these claims hold, with their events and subscriptions."""
        if not claims:
            return []
        result = await execute_core(
            self.session,
            select(
                col(DELIVERY.id),
                col(DELIVERY.claim),
                col(DELIVERY.attempts),
                col(SUB.callback_url),
                col(SUB.sealed_secret),
                col(EVENT.id).label("event_id"),
                col(EVENT.event_type),
                col(EVENT.entity_type),
                col(EVENT.entity_id),
                col(EVENT.facility_ref),
                col(EVENT.version),
                col(EVENT.payload),
                col(EVENT.occurred_at),
            )
            .join(SUB, col(SUB.id) == col(DELIVERY.subscription_id))
            .join(
                EVENT,
                and_(col(EVENT.id) == col(DELIVERY.event_id), col(EVENT.tenant) == col(SUB.tenant)),
            )
            .where(col(DELIVERY.claim).in_(sorted(claims)))
            .order_by(col(DELIVERY.next_attempt_at), col(DELIVERY.id)),
        )
        return [Attempt(**row._asdict()) for row in result.all()]

    # Outcomes.

    async def delivered(self, ident: str, now: datetime, http_status: int) -> None:
        """A 2xx answer: delivered, whichever claim made it (a late answer of a worker whose
        lease ran out still counts)."""
        await execute_core(
            self.session,
            update(DELIVERY)
            .where(col(DELIVERY.id) == ident, col(DELIVERY.status) == PENDING)
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=now,
                last_http_status=http_status,
                last_error=None,
                claim=None,
                next_attempt_at=None,
            ),
        )

    async def failed(
        self,
        ident: str,
        claim: str,
        *,
        http_status: int | None,
        error: str,
        next_attempt_at: datetime | None,
    ) -> None:
        """A failed attempt: tried again at `next_attempt_at`, or DEAD when it is None. Only
        under the claim that made the attempt: if the lease ran out meanwhile, the delivery
        belongs to whoever took it over."""
        await execute_core(
            self.session,
            update(DELIVERY)
            .where(
                col(DELIVERY.id) == ident,
                col(DELIVERY.claim) == claim,
                col(DELIVERY.status) == PENDING,
            )
            .values(
                status=PENDING if next_attempt_at is not None else DeliveryStatus.DEAD.value,
                last_http_status=http_status,
                last_error=error,
                claim=None,
                next_attempt_at=next_attempt_at,
            ),
        )

    async def forget(self, before: datetime, limit: int) -> None:
        """Delete up to `limit` DELIVERED or DEAD deliveries made before `before`."""
        done = [DeliveryStatus.DELIVERED.value, DeliveryStatus.DEAD.value]
        oldest = (
            select(DELIVERY_TABLE.c.id)
            .where(DELIVERY_TABLE.c.status.in_(done), DELIVERY_TABLE.c.created < before)
            .limit(limit)
        )
        await execute_core(
            self.session, delete(DELIVERY_TABLE).where(DELIVERY_TABLE.c.id.in_(oldest))
        )


def delivery_row(
    ident: str,
    subscription: Behind,
    event_id: int,
    event_type: str,
    *,
    due: datetime,
    created: datetime,
) -> dict[str, Any]:
    return {
        "id": ident,
        "tenant": subscription.tenant,
        "subscription_id": subscription.id,
        "event_id": event_id,
        "event_type": event_type,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": due,
        "created": created,
    }
