"""Expected refusals as data: `userErrors { code message field currentVersion }`."""

from __future__ import annotations

import enum

import strawberry

from app.domain.errors import DomainError


@strawberry.enum(
    description="Why a mutation was refused. Nothing is written when any error is returned."
)
class UserErrorCode(enum.Enum):
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="The entity does not exist or is not visible to the caller."
    )
    VALIDATION_FAILED = strawberry.enum_value(
        "VALIDATION_FAILED", description="An input value breaks a rule; `field` says which."
    )
    VERSION_CONFLICT = strawberry.enum_value(
        "VERSION_CONFLICT",
        description="The entity changed since the client read it; see `currentVersion`.",
    )
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION", description="The action is not allowed in the current status."
    )
    LIMIT_EXCEEDED = strawberry.enum_value(
        "LIMIT_EXCEEDED", description="A count, depth or size limit would be exceeded."
    )
    CONFLICT = strawberry.enum_value(
        "CONFLICT", description="It clashes with existing data (a duplicate, a link in use)."
    )


@strawberry.type(description="One reason a mutation was refused.")
class UserError:
    code: UserErrorCode = strawberry.field(description="A stable, machine-readable reason.")
    message: str = strawberry.field(description="What went wrong, for a person to read.")
    field: str | None = strawberry.field(
        description="Dotted path of the offending input field, when one field is to blame."
    )
    current_version: int | None = strawberry.field(
        description="For VERSION_CONFLICT: the version the entity is at now."
    )


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            code=UserErrorCode[problem.code.name],
            message=problem.message,
            field=problem.field,
            current_version=problem.current_version,
        )
        for problem in error.problems
    ]
