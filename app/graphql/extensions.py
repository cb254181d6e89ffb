"""The request pipeline's stages after the HTTP layer, cheapest first: the authentication
gate (before anything is parsed), the token limit (graphql-core's lexer stops at it), cached
parsing, cached validation with the depth and alias limits, then, before execution, the bounds
of every input text and the query cost; and error translation (stable codes, masking with
request ids). Every analysis is linear in the document: fragments are worked out once."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError, parse
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.db.errors import database_unavailable
from app.domain.errors import AccessDenied, BadRequest, DomainError
from app.graphql.common.lru import Lru
from app.graphql.context import Context, NotAuthenticated
from app.graphql.cost import Pricing, estimate_cost, operation_shapes, page_variables
from app.graphql.input_text import InputTexts, input_texts, variable_problems
from app.graphql.trees.columns import ColumnPlanner

log = logging.getLogger("app.graphql")

#: Work graphql-core's OverlappingFieldsCanBeMerged rule may spend on one document before it
#: aborts the validation (its default, 500,000, let a valid 6 KB document of 300 fields with
#: one name validate for 1.7 s). It compares fields of one response name pairwise: the
#: benchmark's trees, GraphiQL's introspection query and every test document spend under 10.
VALIDATION_BUDGET = 20_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = VALIDATION_BUDGET

#: Messages of graphql-core's limits (the token limit, the validation budget) that we tag as
#: QUERY_TOO_COMPLEX so clients can tell them from typos.
_LIMIT_MESSAGES = re.compile(r"Document contains more than|^Validation aborted")
#: What a client is told when the validation budget ran out.
_ABORTED = (
    "The document has too many fields of one name or fragments side by side to compare "
    f"(more than {VALIDATION_BUDGET:,} comparisons): merge them."
)
#: graphql-core's suggestions (" Did you mean 'first'?"), which name parts of the schema.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


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


def translate_errors(
    errors: list[GraphQLError], request_id: str, suggestions: bool = True
) -> list[GraphQLError]:
    """Expected failures keep their message and get a stable `extensions.code`; anything else
    is logged with the request id and replaced by a message that only carries that id.
    Without `suggestions` (production), no message suggests a name of the schema."""
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
        if _LIMIT_MESSAGES.search(error.message):
            message = _ABORTED if error.message.startswith("Validation aborted") else error.message
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
    """Validates a query text once (see ValidationResults), and with it the depth and the
    aliases of each of its operations: both depend on the text alone, and are worked out in
    one linear pass after graphql-core's rules (which prove its fragments acyclic)."""

    def __init__(self, results: ValidationResults, max_depth: int, max_aliases: int) -> None:
        self.results = results
        self.max_depth = max_depth
        self.max_aliases = max_aliases

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        cached = self.results.get(query) if query else None
        if cached is None and context.graphql_document is not None:
            # Validated here rather than after this hook: Strawberry reads the errors before
            # the hooks' second halves run.
            document = context.graphql_document
            cached = validate_document(context.schema._schema, document, context.validation_rules)
            if not cached:
                cached = self._limits(document)
            if query:
                self.results.put(query, cached)
        if cached is not None:
            context.pre_execution_errors = list(cached)
        yield

    def _limits(self, document: DocumentNode) -> list[GraphQLError]:
        errors = []
        for name, shape in operation_shapes(document).items():
            label = f"Operation '{name}'" if name else "The operation"
            if shape.depth > self.max_depth:
                errors.append(
                    _too_complex(
                        f"{label} is {shape.depth} levels deep (at most {self.max_depth}).",
                        depth=shape.depth,
                        limit=self.max_depth,
                    )
                )
            if shape.aliases > self.max_aliases:
                errors.append(
                    _too_complex(
                        f"{label} has {shape.aliases:,} aliases once its fragments are spread "
                        f"(at most {self.max_aliases}).",
                        aliases=shape.aliases,
                        limit=self.max_aliases,
                    )
                )
        return errors


def _too_complex(message: str, **figures: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX", **figures})


@dataclass
class DocumentFacts:
    """What the checks before execution remember of one query text and operation: the
    variables whose values change its cost (those given as `first`) with the costs seen for
    their values, and where its input texts are (their literals checked once)."""

    page_variables: tuple[str, ...]
    texts: InputTexts
    costs: dict[tuple[str, ...], int] = field(default_factory=dict)


#: DocumentFacts by query text and operation name.
QueryCosts = Lru[tuple[str, str | None], DocumentFacts]
#: Costs remembered per document for distinct page sizes (a client picks a handful).
_COSTS_PER_DOCUMENT = 32


class BeforeExecution(SchemaExtension):
    """The last checks before a validated operation runs: every input text within its bound
    (app/domain/text_limits.py; BAD_REQUEST) and the estimated cost (app/graphql/cost.py)
    within the limit (QUERY_TOO_COMPLEX, with the cost and the limit). Then the tree reads
    are told which columns the document needs."""

    def __init__(
        self,
        limit: int,
        pricing: Pricing,
        costs: QueryCosts,
        planner: ColumnPlanner | None = None,
    ) -> None:
        self.limit = limit
        self.pricing = pricing
        self.costs = costs
        self.planner = planner

    def _facts(self, document: DocumentNode) -> DocumentFacts:
        context = self.execution_context
        key = (context.query or "", context.operation_name)
        facts = self.costs.get(key) if context.query else None
        if facts is None:
            facts = DocumentFacts(
                page_variables(document), input_texts(context.schema._schema, document)
            )
            if context.query:
                self.costs.put(key, facts)
        return facts

    def _cost(self, document: DocumentNode, facts: DocumentFacts) -> int:
        context = self.execution_context
        variables = context.variables or {}
        values = tuple(
            repr(variables[name]) if name in variables else "" for name in facts.page_variables
        )
        cost = facts.costs.get(values)
        if cost is None:
            cost = estimate_cost(
                context.schema._schema, document, context.operation_name, variables, self.pricing
            )
            if len(facts.costs) < _COSTS_PER_DOCUMENT:
                facts.costs[values] = cost
        return cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            refusal = self._refusal(document)
            if refusal is not None and context.operation_type is OperationType.SUBSCRIPTION:
                # A subscription's source ignores a prepared result; Strawberry turns what
                # this hook raises into the stream's one error.
                assert refusal.errors
                raise refusal.errors[0]
            context.result = refusal
            if context.result is None and self.planner is not None:
                ours = context.context
                if isinstance(ours, Context):
                    ours.tree_columns = self.planner.for_document(context.query, document)
        yield

    def _refusal(self, document: DocumentNode) -> ExecutionResult | None:
        facts = self._facts(document)
        problems = list(facts.texts.problems) or variable_problems(
            facts.texts, self.execution_context.variables or {}
        )
        if problems:
            return ExecutionResult(
                data=None,
                errors=[GraphQLError(p, extensions={"code": "BAD_REQUEST"}) for p in problems],
            )
        cost = self._cost(document, facts)
        ours = self.execution_context.context
        if isinstance(ours, Context):
            ours.query_cost = cost
        if cost <= self.limit:
            return None
        return ExecutionResult(
            data=None,
            errors=[
                _too_complex(
                    f"The query would cost {cost:,} (at most {self.limit:,}): ask for "
                    "fewer items per list, fewer nested lists or fewer long texts.",
                    cost=cost,
                    limit=self.limit,
                )
            ],
        )
