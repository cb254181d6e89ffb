"""The last stage: every error of a result gets a stable `extensions.code`. Expected failures
keep their message; anything else is logged with the request id and replaced by a message
that carries only that id."""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError

from app.db.errors import database_unavailable
from app.domain.errors import AccessDenied, BadRequest, DomainError
from app.graphql.context import NotAuthenticated
from app.graphql.pipeline.limits import ABORTED, LIMIT_MESSAGES

log = logging.getLogger("app.graphql")

#: graphql-core's suggestions (" Did you mean 'first'?"), which name parts of the schema.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def translate_errors(
    errors: list[GraphQLError], request_id: str, suggestions: bool = True
) -> list[GraphQLError]:
    """Each error with its code (see the module doc). Without `suggestions` (production), no
    message suggests a name of the schema."""
    translated = [_translate(error, request_id) for error in errors]
    if not suggestions:
        translated = [_without_suggestion(error) for error in translated]
    return translated


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=error.extensions,
    )


def _translate(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        if LIMIT_MESSAGES.search(error.message):
            message = ABORTED if error.message.startswith("Validation aborted") else error.message
            return _with_code(error, message, "QUERY_TOO_COMPLEX")
        return _with_code(error, error.message, "BAD_REQUEST")
    if isinstance(original, NotAuthenticated):
        return _with_code(error, str(original), "UNAUTHENTICATED")
    if isinstance(original, AccessDenied):
        return _with_code(error, str(original), "FORBIDDEN")
    if isinstance(original, BadRequest):
        return _with_code(error, str(original), "BAD_REQUEST")
    if isinstance(original, DomainError):
        return _with_code(error, str(original), original.problems[0].code.value)
    if error.path is None and isinstance(original, GraphQLError | ValueError):
        # Variable and literal coercion failures (scalar parsers) happen before execution.
        return _with_code(error, error.message, "BAD_REQUEST")
    if database_unavailable(original):
        # A restarting pooler or server, a dropped connection: not a bug, and worth a retry
        # (a write's outcome is unknown: read it back first).
        log.warning("database unavailable request_id=%s: %s", request_id, type(original).__name__)
        return _with_code(
            error,
            f"The database is unavailable for a moment; retry (request id {request_id}).",
            "DATABASE_UNAVAILABLE",
            requestId=request_id,
        )
    log.error(
        "unexpected error request_id=%s path=%s",
        request_id,
        ".".join(map(str, error.path or [])),
        exc_info=original,
    )
    return _with_code(
        error,
        f"Internal server error (request id {request_id}).",
        "INTERNAL_SERVER_ERROR",
        requestId=request_id,
    )


def _with_code(error: GraphQLError, message: str, code: str, **extra: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code, **extra},
    )
