"""The authentication gate, and error translation: stable codes, masking with request ids."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from app.domain.errors import AccessDenied, BadRequest, DomainError
from app.graphql.common.lru import Lru
from app.graphql.context import Context, NotAuthenticated
from app.graphql.cost import Pricing, estimate_cost, page_variables

log = logging.getLogger("app.graphql")

#: Messages of the limit validators (strawberry's depth/alias limiters, graphql-core's token
#: limit) that we tag as QUERY_TOO_COMPLEX so clients can tell them from typos.
_LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|Document contains more than"
)


class AuthenticationGate(SchemaExtension):
    """Refuses every operation of a caller without a valid token, before it is even parsed,
    so an anonymous caller learns nothing about the schema."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.viewer_or_none is None:
            raise GraphQLError(
                context.auth_error or "Authentication required.",
                extensions={"code": "UNAUTHENTICATED"},
            )
        yield


def translate_errors(errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
    """Expected failures keep their message and get a stable `extensions.code`; anything else
    is logged with the request id and replaced by a message that only carries that id."""
    return [_translate(error, request_id) for error in errors]


def _translate(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        code = "QUERY_TOO_COMPLEX" if _LIMIT_MESSAGES.search(error.message) else "BAD_REQUEST"
        return _with_code(error, error.message, code)
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


#: Validation results by query text, for one schema. Strawberry's ValidationCache keys on
#: the parsed document and the rule list; the depth and alias limiters make a fresh rule class
#: per request, so it never hits, and hashing a 25-level document is itself costly. Validation
#: depends only on the text here (the schema and the rules are fixed per schema).
ValidationResults = Lru[str, list[GraphQLError]]


#: Parsed documents by query text, for one schema.
ParsedDocuments = Lru[str, DocumentNode]


class CachedParse(SchemaExtension):
    """Parses a query text once (Strawberry's ParserCache, but bounded in text as well as in
    entries: see MAX_CACHED_TEXT). Errors are not cached: each request raises them anew."""

    def __init__(self, documents: ParsedDocuments) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query:
            document = self.documents.get(query)
            if document is None:
                # The options (the token limit) are fixed per schema, so the text is the key.
                document = parse(query, **context.parse_options)
                self.documents.put(query, document)
            context.graphql_document = document
        yield


class CachedValidation(SchemaExtension):
    """Skips validation of a query text already validated (see ValidationResults)."""

    def __init__(self, results: ValidationResults) -> None:
        self.results = results

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        cached = self.results.get(query) if query else None
        if cached is not None:
            context.pre_execution_errors = cached
            yield
            return
        yield
        if query and context.pre_execution_errors is not None:
            self.results.put(query, list(context.pre_execution_errors))


#: Query costs by query text and operation name: the variables whose values change the cost
#: (those given as `first`), and the costs seen for their values.
QueryCosts = Lru[tuple[str, str | None], tuple[tuple[str, ...], dict[tuple[str, ...], int]]]
#: Costs remembered per document for distinct page sizes (a client picks a handful).
_COSTS_PER_DOCUMENT = 32


class QueryCostLimit(SchemaExtension):
    """Refuses, before execution, an operation whose estimated cost (app/graphql/cost.py)
    is over the limit: QUERY_TOO_COMPLEX, with the cost and the limit."""

    def __init__(self, limit: int, pricing: Pricing, costs: QueryCosts | None = None) -> None:
        self.limit = limit
        self.pricing = pricing
        self.costs = costs

    def _cost(self) -> int | None:
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return None
        variables = context.variables or {}
        if self.costs is None or not context.query:
            return self._estimate(document, variables)
        key = (context.query, context.operation_name)
        if key in self.costs:
            names, known = self.costs[key]
        else:
            names, known = page_variables(document), {}
            self.costs.put(key, (names, known))
        values = tuple(repr(variables[name]) if name in variables else "" for name in names)
        cost = known.get(values)
        if cost is None:
            cost = self._estimate(document, variables)
            if len(known) < _COSTS_PER_DOCUMENT:
                known[values] = cost
        return cost

    def _estimate(self, document: DocumentNode, variables: dict[str, Any]) -> int:
        context = self.execution_context
        return estimate_cost(
            context.schema._schema, document, context.operation_name, variables, self.pricing
        )

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        cost = self._cost()
        if cost is not None and cost > self.limit:
            context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"The query would cost {cost:,} (at most {self.limit:,}): ask for "
                        "fewer items per list or fewer nested lists.",
                        extensions={
                            "code": "QUERY_TOO_COMPLEX",
                            "cost": cost,
                            "limit": self.limit,
                        },
                    )
                ],
            )
        yield
