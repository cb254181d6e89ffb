"""Strawberry's ASGI view, with our context, orjson encoding and offline GraphiQL."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from opentelemetry.trace import Tracer
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from app.auth import AuthenticationFailed, issue_token, viewer_from_authorization
from app.db.engine import SessionFactory
from app.db.row_reads import RowReads
from app.domain.access import Viewer
from app.domain.persisted_documents import Mode, PersistedQueryRefused
from app.events.hub import ChangeHub
from app.graphql.context import Context
from app.graphql.pipeline.fair_use import RATE_LIMITED
from app.http.graphiql import offline_graphiql_html
from app.http.media import GRAPHQL_RESPONSE, prefers_graphql_response, request_error_status
from app.http.persisted import (
    PersistedTransportWSHandler,
    RequestWithDocumentId,
    names_document,
    persisted_refusal,
    resolve_document,
)
from app.http.refusals import nested_deeper_than, refusal, refusal_body
from app.http.socket_expiry import TOKEN_EXPIRED_REASON
from app.metrics import operation_label, record_operation
from app.services.fair_use import Limiter, caller_at
from app.services.persisted_documents import PersistedDocuments
from app.settings import Settings

GRAPHIQL_TOKEN_TTL_SECONDS = 12 * 3600
#: Where the request's caller, authenticated before its body is read, waits for the context.
_VIEWER = "gateway.viewer"
#: What an operation built (its context with the request's views of rows, its result), kept
#: until its response has been handed to the server (see `__call__`).
_HELD = "gateway.held"

SAMPLE_QUERY = """\
query SampleCustomServices {
  customServices(first: 10) {
    totalCount
    edges {
      node {
        id
        tenantCustomServiceId
        name(locale: en_US)
        nameLocalized
        status
        version
        additionalInformation { name valueType isMandatory }
      }
    }
  }
}
"""

SAMPLE_TREE_PATH = "/trees/5e1f3a70-9c2d-4f0e-a8b1-7d6c5b4a3001"

#: Short lines: the editor shows about 55 characters beside the result at 1,400 pixels.
LANDING_TEXT = f"""\
Service Job Gateway: custom services, facility
connections, service jobs and their trees.
Run the query below with Ctrl-Enter.

Development mode: the Headers tab (below) holds
a token for the sample tenant, valid for hours.
Copy it for curl, or make one with
  python -m app token --tenant demo

The sample tree as a page ("Sample tree", top
right):
{SAMPLE_TREE_PATH}
"""

#: What the page says where it is not pre-authorised (production with GRAPHIQL=true, or a
#: caller that is not on this machine).
LANDING_TEXT_WITHOUT_TOKEN = """\
Service Job Gateway: custom services, facility
connections, service jobs and their trees.

Every request needs a token: put yours in the Headers
tab (below) in place of <JWT>, then run the query
below with Ctrl-Enter.
"""
PLACEHOLDER_HEADERS = {"Authorization": "Bearer <JWT>"}


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go out as text frames, as the protocol has them.

    Strawberry sends whatever `encode_json` returns, and ours returns bytes (orjson) for HTTP
    bodies; as binary frames, browsers hand the messages to GraphiQL's graphql-ws client as
    Blobs, which it rejects ("Message is missing the 'type' property")."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GatewayGraphQL(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocketAdapter
    #: Closes a WebSocket (4403) when the token that opened it expires; resolves persisted
    #: documents.
    graphql_transport_ws_handler_class = PersistedTransportWSHandler

    def __init__(
        self,
        *args: object,
        settings: Settings,
        db: SessionFactory,
        hub: ChangeHub | None = None,
        read_db: SessionFactory | None = None,
        row_reads: RowReads | None = None,
        tracer: Tracer | None = None,
        documents: PersistedDocuments | None = None,
        anonymous_limiter: Limiter | None = None,
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.db = db
        self.read_db = read_db
        self.row_reads = row_reads
        self.hub = hub
        self.tracer = tracer
        #: The development token and when it was made: GraphiQL keeps a tab per distinct
        #: query and headers, so a token that changed on every reload would add a tab each time.
        self._development_token: tuple[str, float] | None = None
        #: Persisted documents, in the mode of PERSISTED_QUERIES (None: texts alone, as
        #: Strawberry reads them).
        self.documents = documents
        #: Fair use of requests without a valid token, by client address (None: off).
        self.anonymous_limiter = anonymous_limiter
        #: Whether a POST of one operation in JSON may skip the view's generic steps
        #: (`_run_plain_post`): not when every text must be a registered document, nor when
        #: streaming transports or uploads, which such a request may ask for, are on.
        self.plain_posts = (
            not self._stream_transport_map
            and not self.multipart_uploads_enabled
            and (documents is None or documents.mode is not Mode.ONLY)
            # The two hooks of the view it does not call: Strawberry's own (no root value,
            # no error handler); a class that overrides either goes the view's whole way.
            and type(self).get_root_value is GraphQL.get_root_value
            and type(self)._handle_errors is GraphQL._handle_errors
        )
        #: Requests `_run_plain_post` took in this process, and those of them whose data was
        #: encoded once (`_pre_encoded`) (the tests read both).
        self.plain_taken = 0
        self.pre_encoded = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's ASGI entry, with every request-level refusal as JSON with a code."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            try:
                response = await self.run(request)
            except HTTPException as exc:
                response = refusal(_reason(exc.reason), exc.status_code)
            except PersistedQueryRefused as refused:
                record_operation(request.scope, operation_label(None, None), refused.code, None)
                response = persisted_refusal(refused)
            await response(scope, receive, _releasing_after_body(scope, send))
        finally:
            _release_held(scope)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Authenticates an HTTP request before its body is read or parsed: a caller without
        a valid token costs a header check, whatever it sends."""
        if isinstance(request, Request) and request.method in {"GET", "POST"}:
            wants_page = (
                request.method == "GET"
                and "text/html" in request.headers.get("accept", "")
                and not names_document(request.query_params)
            )
            if not wants_page:
                try:
                    viewer = viewer_from_authorization(
                        self.settings, request.headers.get("authorization")
                    )
                except AuthenticationFailed as exc:
                    return await self._unauthenticated(request, str(exc))
                request.scope[_VIEWER] = viewer
                if request.method == "POST" and context is UNSET and root_value is UNSET:
                    plain = await self._run_plain_post(request, viewer)
                    if plain is not None:
                        return plain
        return await super().run(request, context, root_value)

    async def _run_plain_post(self, request: Request, viewer: Viewer) -> Response | None:
        """The response to a POST of one operation in JSON that names no stored document,
        or None for Strawberry's view to answer (after the body was read, which Starlette
        keeps). It makes the calls the view makes for such a request, in its order and with
        its refusals, without what only other requests need: parsing the content type with
        `email.message`, request adapters, stream transports, batches and documents. One
        read of a job spent about a tenth of its time in Python there."""
        if not self.plain_posts or not _is_json(request.headers.get("content-type")):
            return None
        data = self.parse_json(await request.body())
        if not isinstance(data, dict) or "documentId" in data:
            return None
        query, variables = data.get("query"), data.get("variables")
        operation_name, extensions = data.get("operationName"), data.get("extensions")
        if (
            not isinstance(query, str)
            or not isinstance(variables, (dict, type(None)))
            or not isinstance(operation_name, (str, type(None)))
            or not isinstance(extensions, (dict, type(None)))
            or (extensions is not None and "persistedQuery" in extensions)
        ):
            return None
        self.plain_taken += 1
        sub_response = await self.get_sub_response(request)
        context = self._context(request, sub_response, viewer, None)
        context.released_after_response = True
        request.scope[_HELD] = (context,)
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=_POSTED,
                operation_extensions=extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason("POST")) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc
        response_data = await self.process_result(request, result)
        request.scope[_HELD] = (context, result, response_data)
        return self.create_response(self._pre_encoded(response_data, context), sub_response)

    def _pre_encoded(self, response_data: GraphQLHTTPResponse, context: Context) -> Any:
        """The response with each root of `data` as the bytes the compiled path encoded it
        to when measuring it (EncodedRoot), when the data holds exactly those values: one
        encoding of the data instead of two. orjson writes a Fragment as it is, so the body
        is the same bytes."""
        encoded = context.encoded_roots
        data = response_data.get("data")
        if (
            not encoded
            or not isinstance(data, dict)
            or data.keys() != encoded.keys()
            or any(data[key] is not root.value for key, root in encoded.items())
        ):
            return response_data
        self.pre_encoded += 1
        return {
            **response_data,
            "data": {key: orjson.Fragment(encoded[key].encoding) for key in data},
        }

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming its document by hash (no `query`) is an operation, not a page view.
        return super().should_render_graphql_ide(request) and not names_document(
            request.query_params
        )

    async def _unauthenticated(self, request: Request, message: str) -> Response:
        # The body is never read, so the operation has no name here.
        if self.anonymous_limiter is not None:
            client = request.client.host if request.client else None
            decision = await self.anonymous_limiter.charge(
                caller_at(client), self.settings.rate_limit_anonymous_cost
            )
            if not decision.allowed:
                record_operation(request.scope, operation_label(None, None), RATE_LIMITED, None)
                return refusal(
                    "Too many requests without a valid token from this address: retry in "
                    f"{decision.retry_after_seconds()} s.",
                    429,
                    RATE_LIMITED,
                    decision.headers(self.anonymous_limiter.policy),
                )
        record_operation(request.scope, operation_label(None, None), "UNAUTHENTICATED", None)
        body = {"data": None, **refusal_body(message, "UNAUTHENTICATED")}
        if prefers_graphql_response(request.headers.get("accept")):
            del body["data"]
            return Response(orjson.dumps(body), 401, media_type=GRAPHQL_RESPONSE)
        return Response(orjson.dumps(body), 200, media_type="application/json")

    def decode_json(self, data: str | bytes) -> object:
        """orjson, which refuses invalid UTF-8 and lone surrogates, and a bound on nesting
        (a deeper value is refused as malformed)."""
        value = orjson.loads(data)
        if nested_deeper_than(value, self.settings.max_json_depth):
            raise json.JSONDecodeError(
                f"arrays and objects nest deeper than {self.settings.max_json_depth} levels",
                data if isinstance(data, str) else "",
                0,
            )
        return value

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"The request body is not valid JSON: {exc.msg}.") from exc

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> Any:
        try:
            data = await super().parse_http_body(request)
        except AttributeError as exc:
            # Strawberry reads the decoded body as an object; "x", 5 or null are not.
            raise HTTPException(
                400, 'The request body must be a JSON object: {"query": "...", "variables": {}}.'
            ) from exc
        if not isinstance(data, GraphQLRequestData) or self.documents is None:
            return data
        # Strawberry does not read documentId; GET has it as a parameter, POST in the object
        # just decoded (Starlette keeps the body; it is decoded again only when the key, or
        # an escape that could spell it, is in it).
        document_id: object = None
        if request.method == "GET":
            document_id = request.query_params.get("documentId")
        else:
            body = await request.get_body()
            if b"documentId" in body or b"\\u" in body:
                decoded = self.decode_json(body)
                document_id = decoded.get("documentId") if isinstance(decoded, dict) else None
        return RequestWithDocumentId(
            query=data.query,
            variables=data.variables,
            operation_name=data.operation_name,
            extensions=data.extensions,
            protocol=data.protocol,
            document_id=document_id,
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        viewer = request.scope.get(_VIEWER)
        if (
            self.documents is not None
            and isinstance(request_data, GraphQLRequestData)
            and isinstance(viewer, Viewer)
        ):
            request_data = await resolve_document(
                self.documents, viewer, request.scope, request_data
            )
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        viewer = request.scope.get(_VIEWER)
        if isinstance(viewer, Viewer):
            return self._context(request, response, viewer, None)
        return self.context_for(request, response, request.headers.get("authorization"))

    def context_for(
        self,
        request: Request | WebSocket,
        response: Response | WebSocket | None,
        authorization: str | None,
    ) -> Context:
        """The context of an operation run for `request` with these credentials (the value of
        an Authorization header); the GraphQL endpoint passes the request's own header."""
        viewer, error = None, None
        try:
            viewer = viewer_from_authorization(self.settings, authorization)
        except AuthenticationFailed as exc:
            error = str(exc)
        return self._context(request, response, viewer, error)

    def _context(
        self,
        request: Request | WebSocket,
        response: Response | WebSocket | None,
        viewer: Viewer | None,
        error: str | None,
    ) -> Context:
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            db=self.db,
            read_db=self.read_db,
            row_reads=self.row_reads,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            viewer_or_none=viewer,
            auth_error=error,
            accept_language=request.headers.get("accept-language"),
            hub=self.hub,
            tracer=self.tracer,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticates a WebSocket: the token travels in connection_init's payload
        (`{"Authorization": "Bearer ..."}`, as GraphiQL sends its headers), or in the
        handshake's own Authorization header. No valid token: the socket closes with 4403."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = next(
            (v for k, v in params.items() if k.lower() == "authorization" and isinstance(v, str)),
            None,
        )
        if authorization is not None:
            try:
                context.viewer_or_none = viewer_from_authorization(self.settings, authorization)
                context.auth_error = None
            except AuthenticationFailed as exc:
                raise ConnectionRejectionError({"message": str(exc)}) from exc
        if context.viewer_or_none is None:
            raise ConnectionRejectionError(
                {"message": context.auth_error or "Authentication required."}
            )
        if context.viewer_or_none.has_expired(time.time()):
            # The handshake's token, expired before connection_init came.
            raise ConnectionRejectionError({"message": TOKEN_EXPIRED_REASON})
        unset: UnsetType = UNSET
        return unset

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_response = prefers_graphql_response(  # type: ignore[attr-defined]
            request.headers.get("accept")
        )
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if len(response.body) > self.settings.max_response_bytes:
            limit = self.settings.max_response_bytes
            response_data = {
                "data": None,
                "errors": [
                    {
                        "message": f"The response would be {len(response.body):,} bytes (at "
                        f"most {limit:,}): ask for fewer items or fewer fields.",
                        "extensions": {"code": "RESPONSE_TOO_LARGE", "limit": limit},
                    }
                ],
            }
            response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_response", False) and isinstance(response_data, dict):
            status = request_error_status(response_data)
            if status is not None:
                body = {k: v for k, v in response_data.items() if k != "data"}
                response.body = self.encode_json(body)
                response.headers["content-length"] = str(len(response.body))
                response.status_code = status
            response.headers["content-type"] = GRAPHQL_RESPONSE
        return response

    def development_authorization(self, request: Request) -> str | None:
        """`Bearer <JWT>` for the sample tenant, in development mode and for loopback callers
        only (else None): what GraphiQL's page and the tree view are pre-authorised with."""
        client = request.client.host if request.client else None
        if not (self.settings.is_development and _is_loopback(client)):
            return None
        now = time.time()
        cached = self._development_token
        if cached is None or now - cached[1] > GRAPHIQL_TOKEN_TTL_SECONDS / 2:
            token = issue_token(
                self.settings,
                tenant=self.settings.sample_tenant,
                subject="graphiql-development",
                ttl_seconds=GRAPHIQL_TOKEN_TTL_SECONDS,
            )
            cached = self._development_token = (token, now)
        return f"Bearer {cached[0]}"

    async def render_graphql_ide(self, request: Request) -> Response:
        authorization = self.development_authorization(request)
        if authorization is None:
            html = offline_graphiql_html(
                headers=PLACEHOLDER_HEADERS,
                default_query=SAMPLE_QUERY,
                landing_text=LANDING_TEXT_WITHOUT_TOKEN,
            )
        else:
            html = offline_graphiql_html(
                headers={"Authorization": authorization},
                default_query=SAMPLE_QUERY,
                landing_text=LANDING_TEXT,
                links=[("Sample tree", SAMPLE_TREE_PATH)],
            )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})


#: The operations a POST may run (GatewaySchema.execute takes subscriptions out).
_POSTED = OperationType.from_http("POST")


def _is_json(content_type: str | None) -> bool:
    """Whether a Content-Type is application/json, with parameters or without, spelt as the
    view reads it as JSON (other spellings it reads or refuses are left to it)."""
    if content_type is None:
        return False
    return content_type.partition(";")[0].strip() == "application/json"


def _release_held(scope: Scope) -> None:
    """Releases and frees what the operation kept until its response was sent (_HELD)."""
    held = scope.pop(_HELD, None)
    if held is not None:
        held[0].release()


def _releasing_after_body(scope: Scope, send: Send) -> Send:
    """`send`, releasing what the operation kept (_HELD) once the server has the response's
    last body: freeing what a tree read loaded and built (thousands of objects) took a
    millisecond or two the client waited for. The server writes the body to the socket before
    it waits for a slow reader to drain it; the release is scheduled before that, so a
    client that does not read keeps the response's bytes waiting, as before, and not the
    objects they were made of."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            asyncio.get_running_loop().call_soon(_release_held, scope)
        await send(message)

    return sending


def _reason(reason: str) -> str:
    """Strawberry's refusal texts, with what to do instead where it helps."""
    if reason.startswith("subscriptions are not allowed"):
        return "Subscriptions run over WebSocket (graphql-transport-ws at /graphql), not HTTP."
    if reason == "Unsupported content type":
        return "Unsupported content type: send application/json (or GET with ?query=)."
    return reason if reason.endswith(".") else f"{reason}."
