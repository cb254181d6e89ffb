"""Stage 2: the token limit, parsing and validation, each document's once. Parsed documents
and validation results (the limits of stage 3 included) are kept by query text, per schema,
bounded in entries and in text (app/lru.py)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from app.graphql.pipeline.limits import depth_and_aliases
from app.lru import Lru

#: Parsed documents by query text, for one schema.
ParsedDocuments = Lru[str, DocumentNode]

#: Validation results by query text, for one schema. Strawberry's ValidationCache keys on
#: the parsed document and the rule list, and hashing a 25-level document is itself costly.
#: Validation depends only on the text here (the schema and the rules are fixed per schema).
ValidationResults = Lru[str, list[GraphQLError]]


class CachedParse(SchemaExtension):
    """Parses a query text once, within the token limit (graphql-core's lexer stops at it).
    Errors are not cached: each request raises them anew."""

    def __init__(self, documents: ParsedDocuments, max_tokens: int) -> None:
        self.documents = documents
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query:
            document = self.documents.get(query)
            if document is None:
                document = parse(query, max_tokens=self.max_tokens)
                self.documents.put(query, document)
            context.graphql_document = document
        yield


class CachedValidation(SchemaExtension):
    """Validates a query text once, and with it the depth and the aliases of each of its
    operations (app/graphql/pipeline/limits.py): both depend on the text alone, and are worked
    out after graphql-core's rules (which prove its fragments acyclic)."""

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
                cached = depth_and_aliases(document, self.max_depth, self.max_aliases)
            if query:
                self.results.put(query, cached)
        if cached is not None:
            context.pre_execution_errors = list(cached)
        yield
