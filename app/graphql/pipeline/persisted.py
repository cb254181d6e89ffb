"""Stage 6: automatic persisted queries are stored only once their operation has passed every
check before execution (tokens, validation, depth, aliases, input texts, cost, fair use): a
text that the limits refuse never takes a place in the tenant's store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, validate
from strawberry.extensions import SchemaExtension

from app.domain.persisted_documents import MAX_DOCUMENT_CHARS
from app.graphql.context import Context
from app.graphql.cost import operation_shapes
from app.services.persisted_documents import PersistedDocuments
from app.settings import Settings

#: Where the HTTP view leaves an automatic persisted query to remember (request scope).
PENDING_DOCUMENT = "gateway.pending_document"


@dataclass(frozen=True)
class PendingDocument:
    tenant: str
    sha256: str
    text: str


class RememberPersisted(SchemaExtension):
    def __init__(self, documents: PersistedDocuments) -> None:
        self.documents = documents

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        ours = context.context
        if context.result is None and isinstance(ours, Context):
            pending = ours.request.scope.get(PENDING_DOCUMENT)
            if isinstance(pending, PendingDocument) and pending.text == context.query:
                await self.documents.remember(pending.tenant, pending.sha256, pending.text)
        yield


def document_problems(schema: GraphQLSchema, text: str, settings: Settings) -> list[str]:
    """Why a document could not run here (empty when it can): it parses within the token
    limit, validates against the schema, and each operation is within the depth and alias
    limits. What `python -m app persist` checks before it registers a document."""
    if len(text) > MAX_DOCUMENT_CHARS:
        return [f"it has more than {MAX_DOCUMENT_CHARS:,} characters"]
    try:
        document = parse(text, max_tokens=settings.max_tokens)
    except GraphQLError as exc:
        return [exc.message]
    problems = [error.message for error in validate(schema, document)]
    if problems:
        return problems
    if not any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
        return ["it has no operation"]
    for name, shape in operation_shapes(document).items():
        label = f"operation {name!r}" if name else "the operation"
        if shape.depth > settings.max_query_depth:
            problems.append(f"{label} is {shape.depth} levels deep")
        if shape.aliases > settings.max_aliases:
            problems.append(f"{label} has {shape.aliases} aliases")
    return problems
