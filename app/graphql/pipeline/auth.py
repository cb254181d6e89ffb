"""Stage 1: no caller, no parsing. The HTTP view checks the token before it reads the body;
this gate stops what gets past it (a WebSocket operation, a caller whose token was refused),
so an anonymous caller learns nothing about the schema."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.graphql.context import Context


class AuthenticationGate(SchemaExtension):
    """Refuses every operation of a caller without a valid token, before it is parsed."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.viewer_or_none is None:
            raise GraphQLError(
                context.auth_error or "Authentication required.",
                extensions={"code": "UNAUTHENTICATED"},
            )
        yield
