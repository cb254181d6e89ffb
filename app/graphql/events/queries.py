"""The outbox, read as a connection: integrators keep the last cursor and ask for what came
after it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.events import EntityType
from app.graphql.common.pagination import After, Connection, First, page_request, to_connection
from app.graphql.context import Context
from app.graphql.events.types import Event, EventEntityType, EventType
from app.graphql.read_path.sources import RootCall, reads
from app.repositories.events import EventFilter, EventReads


@strawberry.input(description="Narrows the events; all given conditions apply.")
class EventFilterInput:
    entity_type: EventEntityType | None = strawberry.field(
        default=None, description="Events about this kind of entity."
    )
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events about this entity."
    )
    types: list[EventType] | None = strawberry.field(
        default=None, description="Events of these types."
    )

    def to_filter(self) -> EventFilter:
        return EventFilter(
            entity_type=EntityType[self.entity_type.name].value if self.entity_type else None,
            entity_id=str(self.entity_id) if self.entity_id is not None else None,
            event_types=frozenset(t.name for t in self.types) if self.types is not None else None,
        )


async def events_page(
    context: Context,
    first: int | None = None,
    after: str | None = None,
    filter: EventFilterInput | None = None,
) -> Connection[Event]:
    """The caller's events after `after`, oldest first (the resolver's and the read path's)."""
    page = page_request(context.settings, first, after)
    flt = (filter or EventFilterInput()).to_filter()
    viewer = context.viewer
    async with context.read_connection() as reads:
        rows = await EventReads(reads, viewer.tenant, flt, viewer.facilities).page(page)

    async def total() -> int:
        async with context.read_connection() as reads:
            return await EventReads(reads, viewer.tenant, flt, viewer.facilities).count()

    return to_connection(rows, Event.from_row, total)


@strawberry.type
class EventQuery:
    @strawberry.field(
        description="Changes to service jobs and trees, oldest first. Ids and cursors grow in "
        "commit order: keep the last `endCursor` and pass it as `after` to get only what "
        "happened since. A facility-scoped caller sees the events of its facilities.",
        metadata=reads(root=RootCall(events_page)),
    )
    async def events(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        filter: Annotated[
            EventFilterInput | None, strawberry.argument(description="Conditions.")
        ] = None,
    ) -> Connection[Event]:
        return await events_page(info.context, first, after, filter)
