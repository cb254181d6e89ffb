"""Mutations of facility connections, one module each."""

from __future__ import annotations

import strawberry

from app.graphql.facility_connections.mutations.create_connection import (
    create_facility_custom_service_connection,
)
from app.graphql.facility_connections.mutations.delete_connection import (
    delete_facility_custom_service_connection,
)
from app.graphql.facility_connections.mutations.update_connection import (
    update_facility_custom_service_connection,
)


@strawberry.type
class FacilityConnectionMutation:
    create_facility_custom_service_connection = strawberry.mutation(
        resolver=create_facility_custom_service_connection,
        description="Make a custom service available in a facility (one per pair).",
    )
    update_facility_custom_service_connection = strawberry.mutation(
        resolver=update_facility_custom_service_connection,
        description="Change a connection, given the version last seen.",
    )
    delete_facility_custom_service_connection = strawberry.mutation(
        resolver=delete_facility_custom_service_connection,
        description="Remove a connection; jobs already created stay.",
    )
