"""Enums of service jobs as the schema shows them."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum(description="Where a service job stands. FINISHED, CANCELLED, OBSOLETE are final.")
class ServiceJobStatus(enum.Enum):
    NOT_READY = strawberry.enum_value(
        "NOT_READY", description="Waits for its prerequisites (the links beneath it)."
    )
    OPEN = strawberry.enum_value("OPEN", description="Ready to be started.")
    IN_PROGRESS = strawberry.enum_value("IN_PROGRESS", description="Being worked on.")
    WAITING_FOR_INPUT = strawberry.enum_value(
        "WAITING_FOR_INPUT", description="On hold until someone provides input."
    )
    FINISHED = strawberry.enum_value("FINISHED", description="Done (final).")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled (final).")
    OBSOLETE = strawberry.enum_value("OBSOLETE", description="No longer needed (final).")


@strawberry.enum(description="Why a job waits, beyond its status.")
class ServiceJobSubStatus(enum.Enum):
    LINE_ITEMS_MISSING = strawberry.enum_value(
        "LINE_ITEMS_MISSING",
        description="Some of its required items are not there yet (its own line items, what "
        "it selected and what the jobs beneath passed on to it do not cover them).",
    )
    REQUIRED_LINE_ITEMS_UNFULFILLABLE = strawberry.enum_value(
        "REQUIRED_LINE_ITEMS_UNFULFILLABLE",
        description="The tree's service data can no longer provide its required items: even "
        "every unit not taken by a parallel branch would not be enough.",
    )
