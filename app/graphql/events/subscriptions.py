"""Live subscriptions: the new state of a job or a tree after each committed change, pushed
over `graphql-transport-ws` to subscribers on any worker process.

Each subscription checks the caller's sight of the entity when it starts (an id the caller
cannot see fails with NOT_FOUND, like a missing one) and again for every change, by reading
the entity through the caller's own loaders: a job moved out of the caller's facilities, or a
tree merged away, ends the subscription. Deliveries come once each, in version order; changes
that follow each other faster than a subscriber reads them arrive as the latest state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Annotated, TypeVar

import strawberry
from graphql import GraphQLError

from app.db.errors import database_unavailable
from app.domain.events import FINAL_EVENTS, ChangeNotice, EntityType, Topic
from app.events.hub import CLOSED, Subscription
from app.graphql.context import Context
from app.graphql.service_jobs.types import LinkedServiceJobs, ServiceJob, view_of_snapshot
from app.metrics import SUBSCRIPTIONS

T = TypeVar("T")


async def follow(
    context: Context,
    topic: Topic,
    what: str,
    load: Callable[[], Awaitable[T | None]],
    version_of: Callable[[T], int],
) -> AsyncGenerator[T, None]:
    """Yield the entity each time its version grows, until it is gone, out of sight, or the
    hub closes."""
    if context.hub is None:
        raise GraphQLError("Subscriptions are not available here.")
    async with context.hub.subscribe(topic) as subscription:
        # Subscribed before the first read, so no change can fall between the two.
        current = await load()
        if current is None:
            raise GraphQLError(f"{what} {topic[2]!r} not found.", extensions={"code": "NOT_FOUND"})
        last = version_of(current)
        del current
        with SUBSCRIPTIONS.track_inprogress():
            async with aclosing(_changes(context, subscription, last, load, version_of)) as changes:
                async for item in changes:
                    yield item


async def _changes(
    context: Context,
    subscription: Subscription,
    last: int,
    load: Callable[[], Awaitable[T | None]],
    version_of: Callable[[T], int],
) -> AsyncGenerator[T, None]:
    while True:
        message = await subscription.get()
        if message is CLOSED:
            return
        if isinstance(message, ChangeNotice):
            if message.event_type in FINAL_EVENTS:
                return
            if message.version <= last:
                continue
        current = await _reload(context, load)
        if current is None:
            return
        version = version_of(current)
        if version > last:
            last = version
            yield current
        del current


#: How long a subscription waits for the database to come back (a restarting PgBouncer or
#: server) before it ends with DATABASE_UNAVAILABLE.
RELOAD_PATIENCE_SECONDS = 30.0


async def _reload(context: Context, load: Callable[[], Awaitable[T | None]]) -> T | None:
    """The entity's current state; while the database is out of reach for a moment, try
    again with back-off rather than end the subscription."""
    delay, deadline = 0.2, time.monotonic() + RELOAD_PATIENCE_SECONDS
    while True:
        # Fresh loaders: what an earlier delivery (or a failed attempt) loaded is stale now.
        context.release()
        try:
            return await load()
        except Exception as exc:
            if not database_unavailable(exc) or time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        description="The service job's new state after each committed change (status, fields, "
        "its tree), over graphql-transport-ws. Ends when the job leaves the caller's sight."
    )
    async def service_job_changed(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The service job.")],
    ) -> AsyncGenerator[ServiceJob, None]:
        context = info.context
        ident = str(id)

        async def load() -> ServiceJob | None:
            row = await context.loaders.service_job_by_id.load(ident)
            return ServiceJob.from_row(row) if row else None

        topic: Topic = (context.viewer.tenant, EntityType.SERVICE_JOB, ident)
        async for job in follow(context, topic, "Service job", load, lambda j: j.version):
            yield job

    @strawberry.subscription(
        description="The tree's new state after each committed change inside it (a job's "
        "status, a new link, its service data), with whatever nesting is selected. Ends when "
        "the tree is merged into another one."
    )
    async def linked_service_jobs_changed(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The tree.")],
    ) -> AsyncGenerator[LinkedServiceJobs, None]:
        context = info.context
        ident = str(id)

        async def load() -> LinkedServiceJobs | None:
            snapshot = await context.loaders.tree_by_id.load(ident)
            return view_of_snapshot(snapshot, context.loaders.tree_views).tree if snapshot else None

        topic: Topic = (context.viewer.tenant, EntityType.LINKED_SERVICE_JOBS, ident)
        async for tree in follow(context, topic, "Linked service jobs", load, lambda t: t.version):
            yield tree
