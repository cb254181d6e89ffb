"""OpenTelemetry spans, recorded by the SDK's in-memory exporter: one per operation (HTTP and
WebSocket) continuing the caller's W3C trace context, its parse and validate phases, its
DataLoader batches and tree reads, and its SQL statements beneath them, never one per field;
and, with tracing off, nothing at all."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import json
import threading
from collections.abc import AsyncIterator, Iterator, MutableMapping, Sequence
from typing import Any, ClassVar

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.graphql.schema import GatewaySchema
from app.http.app import create_app
from app.settings import Settings
from app.tracing import Tracing, recording_to
from app.tracing.graphql import TracedPhases
from app.tracing.sql import StatementSpans, trace_statements
from tests.support.graphql import GraphQLClient
from tests.support.jobs import tailoring_tree
from tests.support.ws import PROTOCOL

TREE = """query Tree($id: ID!) { linkedServiceJobs(id: $id) { id status
  serviceJobLinks { id serviceJob { name status lineItems { quantity article { title } } }
    nextServiceJobLinks { serviceJob { name status appointments { appointmentId } }
      nextServiceJobLinks { serviceJob { name } } } } } }"""
#: The caller's trace context (the W3C Trace Context specification's example).
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
CALLER_SPAN_ID = 0x00F067AA0BA902B7
TRACEPARENT = f"00-{TRACE_ID:032x}-{CALLER_SPAN_ID:016x}-01"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracing(spans: InMemorySpanExporter) -> Iterator[Tracing]:
    tracing = recording_to(SimpleSpanProcessor(spans))
    yield tracing
    tracing.shutdown()


@pytest.fixture
def traced_app(settings: Settings, engine: AsyncEngine, tracing: Tracing) -> Iterator[Starlette]:
    app = create_app(settings, engine, tracing)
    yield app
    # Tests skip the lifespan that takes the SQL hooks off the engine again.
    for hooks in _statement_hooks(engine):
        hooks.remove()


@pytest.fixture
async def traced(traced_app: Starlette, settings: Settings) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=traced_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http, settings, tenant="acme")


def _statement_hooks(engine: AsyncEngine) -> list[StatementSpans]:
    owners = (
        getattr(hook, "__self__", None)
        for hook in engine.sync_engine.dispatch.before_cursor_execute
    )
    return [owner for owner in owners if isinstance(owner, StatementSpans)]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def by_name(finished: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in finished if span.name == name]


def children(finished: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    parent_id = parent.context.span_id
    return [span for span in finished if span.parent and span.parent.span_id == parent_id]


async def test_a_tree_query_is_one_span_with_its_phases_batch_tree_read_and_statements(
    traced: GraphQLClient, spans: InMemorySpanExporter
) -> None:
    jobs = await tailoring_tree(traced)
    tree_id = jobs["tailoring"]["linkedServiceJobsRef"]
    spans.clear()

    response = await traced.http.post(
        "/graphql",
        json={"query": TREE, "variables": {"id": tree_id}, "operationName": "Tree"},
        headers={"Authorization": f"Bearer {traced.token}"},
    )
    assert response.status_code == 200 and "errors" not in response.json()

    finished = spans.get_finished_spans()
    [operation] = [span for span in finished if span.kind is SpanKind.SERVER]
    assert operation.name == "query Tree"
    assert operation.parent is None
    assert dict(operation.attributes or {}) == {
        "jobtree.transport": "http",
        "jobtree.request_id": response.headers["x-request-id"],
        "jobtree.tenant": "acme",
        "graphql.document.sha256": hashlib.sha256(TREE.encode()).hexdigest(),
        "graphql.operation.name": "Tree",
        "graphql.operation.type": "query",
        "jobtree.outcome": "ok",
    }
    assert {span.context.trace_id for span in finished} == {operation.context.trace_id}
    # Phases and batches hang off the operation; the whole tree is one batch, one read.
    assert sorted(span.name for span in children(finished, operation)) == [
        "batch tree_by_id",
        "graphql.parse",
        "graphql.validate",
        "relation ServiceJob.appointments",
    ]
    [batch] = by_name(finished, "batch tree_by_id")
    assert batch.attributes == {"jobtree.loader": "tree_by_id", "jobtree.batch.size": 1}
    [read] = children(finished, batch)
    assert read.name == "tree read"
    assert read.attributes == {
        "jobtree.tree.id": tree_id,
        "jobtree.tree.jobs": 3,
        "jobtree.tree.line_items": 2,
    }
    statements = children(finished, read)
    assert [span.name for span in statements] == ["SELECT", "SELECT", "SELECT"]
    assert all(span.kind is SpanKind.CLIENT for span in statements)
    first = statements[0].attributes or {}
    assert first["db.system.name"] in {"sqlite", "postgresql"}
    assert first["db.operation.name"] == "SELECT"
    assert "linked_service_jobs" in str(first["db.query.text"])
    # The second level's appointments are read for all its jobs at once, in one statement.
    [appointments] = by_name(finished, "relation ServiceJob.appointments")
    assert attrs(appointments) == {
        "jobtree.relation": "ServiceJob.appointments",
        "jobtree.parents": 1,
    }
    [batch] = children(finished, appointments)  # the request's loader of their rows
    assert batch.name == "batch appointment_rows_by_job_id"
    assert [span.name for span in children(finished, batch)] == ["SELECT"]
    # Operation, 2 phases, a relation, 2 batches, 1 tree read, 4 statements: nothing per
    # field.
    assert len(finished) == 11


async def test_the_callers_traceparent_is_continued(
    traced: GraphQLClient, spans: InMemorySpanExporter
) -> None:
    await traced(
        "query Ping { customServices(first: 1) { totalCount } }",
        headers={"traceparent": TRACEPARENT, "tracestate": "vendor=1"},
    )

    finished = spans.get_finished_spans()
    [operation] = by_name(finished, "query Ping")
    assert operation.context.trace_id == TRACE_ID
    assert operation.parent is not None and operation.parent.is_remote
    assert operation.parent.span_id == CALLER_SPAN_ID
    assert operation.context.trace_state.get("vendor") == "1"
    assert all(span.context.trace_id == TRACE_ID for span in finished)


async def test_mutations_trace_their_statements_beneath_the_operation(
    traced: GraphQLClient, spans: InMemorySpanExporter
) -> None:
    await tailoring_tree(traced)

    finished = spans.get_finished_spans()
    operations = [span for span in finished if span.kind is SpanKind.SERVER]
    assert [span.name for span in operations][:2] == ["mutation", "mutation"]
    assert {attrs(span)["graphql.operation.type"] for span in operations} == {"mutation"}
    writes = [span for span in finished if span.name == "INSERT"]
    assert writes and all(span.parent is not None for span in writes)
    operation_ids = {span.context.span_id for span in operations}
    owners = {_root_of(finished, span).context.span_id for span in writes}
    assert owners <= operation_ids


def _root_of(finished: tuple[ReadableSpan, ...], span: ReadableSpan) -> ReadableSpan:
    spans_by_id = {s.context.span_id: s for s in finished}
    while span.parent is not None and span.parent.span_id in spans_by_id:
        span = spans_by_id[span.parent.span_id]
    return span


async def test_refused_operations_say_why_and_leave_no_span_open(
    traced: GraphQLClient, spans: InMemorySpanExporter
) -> None:
    [unknown_field] = await traced.errors("query Typo { customServicez { totalCount } }")
    [syntax] = await traced.errors("query Broken { customServices(")

    finished = spans.get_finished_spans()
    typo, broken = (span for span in finished if span.kind is SpanKind.SERVER)
    assert typo.name == "query Typo"
    assert attrs(typo)["jobtree.outcome"] == unknown_field["extensions"]["code"]
    [validate] = by_name(children(finished, typo), "graphql.validate")
    assert validate.attributes == {"graphql.validation.errors": 1}
    # A document that does not parse has no type or name, only its outcome.
    assert broken.name == "GraphQL Operation"
    assert attrs(broken)["jobtree.outcome"] == syntax["extensions"]["code"] == "BAD_REQUEST"
    assert children(finished, broken) == []
    assert typo.status.status_code is StatusCode.UNSET


async def test_a_failing_statement_is_an_error_span(
    engine: AsyncEngine, tracing: Tracing, spans: InMemorySpanExporter
) -> None:
    untrace = trace_statements(engine, tracing.tracer)
    try:
        async with engine.connect() as connection:
            with pytest.raises(Exception, match="no_such_table"):
                await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        untrace()

    [failed] = spans.get_finished_spans()
    assert failed.name == "SELECT" and failed.status.status_code is StatusCode.ERROR
    assert attrs(failed)["error.type"]
    assert [e.name for e in failed.events] == ["exception"]
    assert _statement_hooks(engine) == []


class AsgiWebSocket:
    """A graphql-transport-ws client speaking ASGI to the app in this process (Starlette's
    TestClient would serve it on an event loop of its own, away from the test's engine)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()

    async def __aenter__(self) -> AsgiWebSocket:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"sec-websocket-protocol", PROTOCOL.encode())],
            "subprotocols": [PROTOCOL],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self.task = asyncio.create_task(self.app(scope, self.incoming.get, self.outgoing.put))
        await self.incoming.put({"type": "websocket.connect"})
        assert (await self.outgoing.get())["type"] == "websocket.accept"
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)

    async def send(self, message: dict[str, Any]) -> None:
        await self.incoming.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self) -> dict[str, Any]:
        event = await asyncio.wait_for(self.outgoing.get(), 5)
        assert event["type"] == "websocket.send", event
        message: dict[str, Any] = json.loads(event["text"])
        return message


async def test_a_websocket_operation_continues_the_trace_of_its_connection_init(
    traced_app: Starlette, traced: GraphQLClient, spans: InMemorySpanExporter
) -> None:
    async with AsgiWebSocket(traced_app) as ws:
        await ws.send(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {traced.token}", "traceparent": TRACEPARENT},
            }
        )
        assert (await ws.receive())["type"] == "connection_ack"
        query = "query Count { customServices { totalCount } }"
        await ws.send({"id": "1", "type": "subscribe", "payload": {"query": query}})
        assert (await ws.receive())["payload"] == {"data": {"customServices": {"totalCount": 0}}}
        assert await ws.receive() == {"id": "1", "type": "complete"}

    finished = spans.get_finished_spans()
    [operation] = by_name(finished, "query Count")
    assert operation.kind is SpanKind.SERVER
    assert operation.context.trace_id == TRACE_ID
    assert operation.parent is not None and operation.parent.span_id == CALLER_SPAN_ID
    assert attrs(operation)["jobtree.transport"] == "websocket"
    assert attrs(operation)["jobtree.tenant"] == "acme"
    assert attrs(operation)["jobtree.outcome"] == "ok"
    assert [event.name for event in operation.events] == ["graphql.result"]
    names = {span.name for span in children(finished, operation)}
    assert {"graphql.parse", "graphql.validate"} - names == set()


@pytest.fixture
def global_spans() -> Iterator[InMemorySpanExporter]:
    """A recording provider behind OpenTelemetry's global API (which this gateway never
    uses): what anything in the process recorded through it, while tracing is off."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    proxy = trace.get_tracer_provider()
    trace._TRACER_PROVIDER = provider  # set_tracer_provider may be called once per process
    try:
        yield exporter
    finally:
        trace._TRACER_PROVIDER = None if isinstance(proxy, trace.ProxyTracerProvider) else proxy
        provider.shutdown()


async def test_off_when_nothing_is_configured_and_nothing_is_recorded(
    settings: Settings,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    global_spans: InMemorySpanExporter,
) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    app = create_app(settings, engine)

    assert app.state.tracing is None
    assert _statement_hooks(engine) == []
    listeners = list(engine.sync_engine.dispatch.after_cursor_execute)
    assert not any(isinstance(getattr(h, "__self__", None), StatementSpans) for h in listeners)
    schema = _schema_of(app)
    assert schema.tracer is None
    assert not any(
        isinstance(factory() if callable(factory) else factory, TracedPhases)
        for factory in schema.extensions
    )

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        gql = GraphQLClient(http, settings, tenant="acme")
        jobs = await tailoring_tree(gql)
        await gql(
            TREE,
            {"id": jobs["tailoring"]["linkedServiceJobsRef"]},
            headers={"traceparent": TRACEPARENT},
        )
    assert global_spans.get_finished_spans() == ()


def _schema_of(app: Starlette) -> GatewaySchema:
    from app.http.graphql_view import GatewayGraphQL

    for route in app.routes:
        endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
        if isinstance(endpoint, GatewayGraphQL):
            assert isinstance(endpoint.schema, GatewaySchema)
            return endpoint.schema
    raise LookupError("no GraphQL endpoint")


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP collector's trace endpoint, keeping what it receives."""

    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


async def test_spans_go_to_the_otlp_endpoint_of_the_environment(
    settings: Settings, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.received.clear()
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-under-test")
    app = create_app(settings, engine)
    tracing = app.state.tracing
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http_:
            await GraphQLClient(http_, settings, tenant="acme")(
                "query Exported { customServices { totalCount } }"
            )
        await asyncio.to_thread(tracing.shutdown)  # flushes the batch
    finally:
        for hooks in _statement_hooks(engine):
            hooks.remove()
        server.shutdown()
        server.server_close()

    export = ExportTraceServiceRequest()
    [(path, body)] = Collector.received
    export.ParseFromString(body)
    assert path == "/v1/traces"
    [resource_spans] = export.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "gateway-under-test"
    names = [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert "query Exported" in names and "graphql.parse" in names
