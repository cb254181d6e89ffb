"""Persisted documents over HTTP: GET and POST requests may name their document by hash
(`extensions.persistedQuery`, `documentId`) instead of, or besides, sending its text; the
view resolves it before anything is parsed (app/domain/persisted_documents.py), and the text
then passes the same stages as any other."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from starlette.responses import JSONResponse
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    SubscribeMessage,
)

from app.domain.access import Viewer
from app.domain.persisted_documents import PersistedQueryRefused, read_request
from app.graphql.pipeline.persisted import PENDING_DOCUMENT, PendingDocument
from app.http.refusals import refusal
from app.http.socket_expiry import ExpiringTransportWSHandler
from app.services.persisted_documents import PersistedDocuments


@dataclass
class RequestWithDocumentId(GraphQLRequestData):
    """A request's data with its `documentId` (GraphQL over HTTP's persisted documents),
    which Strawberry does not read."""

    document_id: object = None


def names_document(params: Any) -> bool:
    """Whether GET parameters name an operation, by text or by hash (then no GraphiQL)."""
    return any(params.get(name) is not None for name in ("query", "documentId", "extensions"))


async def resolve_document(
    documents: PersistedDocuments,
    viewer: Viewer,
    scope: MutableMapping[str, Any],
    data: GraphQLRequestData,
) -> GraphQLRequestData:
    """The request with the text it names; an automatic persisted query to remember is left
    in the request scope for app/graphql/pipeline/persisted.py (raises PersistedQueryRefused)."""
    document_id = data.document_id if isinstance(data, RequestWithDocumentId) else None
    request = read_request(data.query, data.extensions, document_id)
    resolution = await documents.resolve(viewer.tenant, request)
    if resolution.register and resolution.query is not None and resolution.sha256 is not None:
        scope[PENDING_DOCUMENT] = PendingDocument(
            viewer.tenant, resolution.sha256, resolution.query
        )
    return GraphQLRequestData(
        query=resolution.query,
        variables=data.variables,
        operation_name=data.operation_name,
        extensions=data.extensions,
        protocol=data.protocol,
    )


def persisted_refusal(refused: PersistedQueryRefused) -> JSONResponse:
    # Not found is what a client learns before it sends the text: no cache may keep it.
    headers = {"Cache-Control": "private, no-cache, must-revalidate"}
    return refusal(refused.message, refused.status, refused.code, headers)


class PersistedTransportWSHandler(ExpiringTransportWSHandler):
    """graphql-transport-ws with persisted documents: a subscribe message may name its
    document by `documentId` or `extensions.persistedQuery`, and in `only` mode its text must
    be a registered document. Automatic entries are registered over HTTP only (a text with
    its hash runs here, and is not stored)."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        documents = getattr(self.view, "documents", None)
        viewer = self.context.viewer_or_none
        payload = message.get("payload")
        if (
            isinstance(documents, PersistedDocuments)
            and viewer is not None
            and self.connection_acknowledged
            and isinstance(payload, dict)
        ):
            try:
                request = read_request(
                    payload.get("query"), payload.get("extensions"), payload.get("documentId")
                )
                resolution = await documents.resolve(viewer.tenant, request)
            except PersistedQueryRefused as refused:
                error = GraphQLError(refused.message, extensions={"code": refused.code})
                await self.send_message(
                    ErrorMessage(id=message["id"], type="error", payload=[error.formatted])
                )
                return
            if resolution.query is not None:
                payload["query"] = resolution.query
        await super().handle_subscribe(message)
