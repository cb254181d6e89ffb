"""Mutations of custom services, one module each."""

from __future__ import annotations

import strawberry

from app.graphql.custom_services.mutations.additional_information import (
    add_custom_service_additional_information,
    delete_custom_service_additional_information,
    replace_custom_service_additional_information,
)
from app.graphql.custom_services.mutations.create_custom_service import create_custom_service
from app.graphql.custom_services.mutations.update_custom_service import update_custom_service


@strawberry.type
class CustomServiceMutation:
    create_custom_service = strawberry.mutation(
        resolver=create_custom_service, description="Create a custom service."
    )
    update_custom_service = strawberry.mutation(
        resolver=update_custom_service,
        description="Change fields of a custom service, given the version last seen.",
    )
    add_custom_service_additional_information = strawberry.mutation(
        resolver=add_custom_service_additional_information,
        description="Add a question to a custom service (bumps its version).",
    )
    replace_custom_service_additional_information = strawberry.mutation(
        resolver=replace_custom_service_additional_information,
        description="Replace a question of a custom service (bumps its version).",
    )
    delete_custom_service_additional_information = strawberry.mutation(
        resolver=delete_custom_service_additional_information,
        description="Delete a question of a custom service (bumps its version).",
    )
