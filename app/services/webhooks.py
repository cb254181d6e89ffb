"""Webhook subscriptions: subscribe (the signing secret is handed out once, and kept sealed),
unsubscribe, and read subscriptions and their deliveries within the caller's scope."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from app import crypto
from app.db import tables
from app.db.engine import SessionFactory
from app.domain.access import Viewer
from app.domain.errors import Problems, limit_exceeded, not_found
from app.domain.events import EventType
from app.domain.webhooks import (
    MAX_SUBSCRIPTIONS_PER_TENANT,
    SECRET_PREFIX,
    check_callback_url,
    check_events,
    facility_scope,
    sees_subscription,
)
from app.repositories.pagination import Page, PageRequest
from app.repositories.webhooks import WebhookRepository, page_in_memory
from app.services import transaction
from app.settings import Settings

#: Random bytes in a signing secret.
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class NewSubscription:
    row: tables.WebhookSubscription
    #: The signing secret, in clear: returned to the caller this once, never again.
    secret: str


def _sees(viewer: Viewer, row: tables.WebhookSubscription) -> bool:
    return sees_subscription(viewer, row.facility_refs)


async def create_subscription(
    db: SessionFactory,
    settings: Settings,
    viewer: Viewer,
    *,
    callback_url: str,
    events: list[EventType],
    facility_refs: list[str] | None,
) -> NewSubscription:
    problems = Problems()
    check_callback_url(callback_url, problems, allow_private=settings.webhook_allow_private)
    check_events(events, problems)
    problems.raise_if_any()
    facilities = facility_scope(viewer, facility_refs)
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    async with transaction(db) as session:
        repo = WebhookRepository(session, viewer.tenant)
        if await repo.count() >= MAX_SUBSCRIPTIONS_PER_TENANT:
            raise limit_exceeded(
                f"A tenant has at most {MAX_SUBSCRIPTIONS_PER_TENANT} webhook subscriptions; "
                "delete one first."
            )
        row = tables.WebhookSubscription(
            id=str(uuid.uuid4()),
            tenant=viewer.tenant,
            callback_url=callback_url,
            events=sorted(e.value for e in events),
            facility_refs=sorted(facilities) if facilities is not None else None,
            sealed_secret=crypto.seal(settings.webhook_sealing_key, secret.encode()),
            active=True,
            last_event_id=await repo.last_event_id(),
            created_by=viewer.subject,
        )
        await repo.add(row)
    return NewSubscription(row, secret)


async def delete_subscription(
    db: SessionFactory, viewer: Viewer, ident: str
) -> tables.WebhookSubscription:
    """Remove a subscription with its deliveries: nothing more is sent to it (an attempt
    already in flight finishes, and its outcome is dropped)."""
    async with transaction(db) as session:
        repo = WebhookRepository(session, viewer.tenant)
        row = await repo.get(ident)
        if row is None or not _sees(viewer, row):
            raise not_found("Webhook subscription", ident)
        await repo.delete(ident)
        row.active = False
        return row


async def subscriptions(
    db: SessionFactory, viewer: Viewer, page: PageRequest
) -> Page[tables.WebhookSubscription]:
    async with db() as session:
        rows = await WebhookRepository(session, viewer.tenant).visible(lambda r: _sees(viewer, r))
    return page_in_memory(rows, page)


async def count_subscriptions(db: SessionFactory, viewer: Viewer) -> int:
    async with db() as session:
        rows = await WebhookRepository(session, viewer.tenant).visible(lambda r: _sees(viewer, r))
    return len(rows)


async def deliveries(
    db: SessionFactory,
    viewer: Viewer,
    subscription_id: str,
    status: str | None,
    page: PageRequest,
) -> Page[tables.WebhookDelivery]:
    """A subscription's deliveries, oldest first; an empty page for a subscription the caller
    cannot see, exactly as for one that does not exist."""
    async with db() as session:
        repo = WebhookRepository(session, viewer.tenant)
        row = await repo.get(subscription_id)
        if row is None or not _sees(viewer, row):
            return Page(rows=[], cursors=[], has_next_page=False, has_previous_page=False)
        return await repo.page_deliveries(subscription_id, status, page)


async def count_deliveries(
    db: SessionFactory, viewer: Viewer, subscription_id: str, status: str | None
) -> int:
    async with db() as session:
        repo = WebhookRepository(session, viewer.tenant)
        row = await repo.get(subscription_id)
        if row is None or not _sees(viewer, row):
            return 0
        return await repo.count_deliveries(subscription_id, status)
