"""How every mutation answers: the use case runs, and a refusal (a `DomainError`) becomes the
payload's `userErrors` with its other fields null, since nothing was written. Anything else is
a server error, translated once for the whole response (`app/graphql/pipeline/errors.py`)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar, cast

from app.domain.errors import DomainError
from app.graphql.common.errors import user_errors

T = TypeVar("T")
P = TypeVar("P", bound="MutationPayload")


class MutationPayload:
    """Base of every mutation payload. Payloads are Strawberry types (dataclasses) with a
    `user_errors` field and the changed entities as nullable fields."""

    @classmethod
    def refused(cls, error: DomainError) -> Self:
        """The payload of a refused change: every entity null, the error's problems listed."""
        values: dict[str, Any] = {field.name: None for field in dataclasses.fields(cast(Any, cls))}
        values["user_errors"] = user_errors(error)
        return cast(Self, cast(Any, cls)(**values))


async def answer(
    payload: type[P],
    change: Callable[[], Awaitable[T]],
    done: Callable[[T], P | Awaitable[P]],
) -> P:
    """Run `change` (input conversion included, so its refusals are caught too) and answer
    with `done(result)`, or with the refused payload when the change raised a `DomainError`."""
    try:
        result = await change()
    except DomainError as error:
        return payload.refused(error)
    answered = done(result)
    if inspect.isawaitable(answered):
        return await answered
    return answered
