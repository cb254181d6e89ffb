"""The spans of a GraphQL operation: the operation itself (the server span, continuing the
caller's W3C trace context), its parse and validate phases, and its DataLoader batches.
Never one per field: a 1,000-job tree has ~22,000 of them."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from strawberry.extensions import SchemaExtension

K = TypeVar("K")
V = TypeVar("V")

#: The span name of an operation whose type is not known (it did not parse), as OpenTelemetry's
#: GraphQL conventions have it; else "<type> <name>", e.g. "query Tree".
UNKNOWN_OPERATION = "GraphQL Operation"
#: Client-chosen operation names longer than this are cut in span names and attributes.
MAX_NAME = 100
#: The outcome of an operation that failed on our side (span status ERROR).
INTERNAL_ERROR = "INTERNAL_SERVER_ERROR"


def document_hash(query: str) -> str:
    """The SHA-256 of the document's text, in hex: the hash of Apollo's persisted queries,
    so a span names its document without carrying it."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


@contextmanager
def operation_span(
    tracer: Tracer,
    carrier: Mapping[str, str],
    *,
    transport: str,
    request_id: str,
    tenant: str | None,
    query: str | None,
    operation_name: str | None,
) -> Iterator[Span]:
    """The operation's span, current while the body runs: a child of the trace context the
    caller sent (`traceparent`, `tracestate`; OTEL_PROPAGATORS says which formats), else the
    root of a new trace."""
    attributes: dict[str, str] = {"jobtree.transport": transport, "jobtree.request_id": request_id}
    if tenant is not None:
        attributes["jobtree.tenant"] = tenant
    if query:
        attributes["graphql.document.sha256"] = document_hash(query)
    if operation_name:
        attributes["graphql.operation.name"] = operation_name[:MAX_NAME]
    with tracer.start_as_current_span(
        UNKNOWN_OPERATION,
        context=propagate.extract(carrier),
        kind=SpanKind.SERVER,
        attributes=attributes,
    ) as span:
        yield span


def end_operation(span: Span, outcome: str) -> None:
    """Records how the operation ended: `ok`, or the code of its first error."""
    span.set_attribute("jobtree.outcome", outcome)
    if outcome == INTERNAL_ERROR:
        span.set_status(Status(StatusCode.ERROR, outcome))


class TracedPhases(SchemaExtension):
    """Spans for parsing and validating the document (the cached parse and validation
    included), and the operation's type and name on the operation span once it is parsed.

    Each phase's span is made when the phase has ended, with the time it began: a phase that
    fails inside a hook leaves the hooks entered before it unfinished (Strawberry does not
    unwind them), and a span left open there would end only when the garbage collector finds
    it. A failed parse shows as the operation's outcome instead."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def on_parse(self) -> Iterator[None]:
        started = time.time_ns()
        yield
        self.tracer.start_span("graphql.parse", start_time=started).end()
        self._name_operation()

    def on_validate(self) -> Iterator[None]:
        started = time.time_ns()
        yield
        span = self.tracer.start_span("graphql.validate", start_time=started)
        errors = self.execution_context.pre_execution_errors
        if errors:
            span.set_attribute("graphql.validation.errors", len(errors))
        span.end()

    def _name_operation(self) -> None:
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except Exception:  # no such operation in the document: validation says so
            return
        span = trace.get_current_span()
        name = (context.operation_name or "")[:MAX_NAME]
        span.update_name(f"{kind} {name}" if name else kind)
        span.set_attribute("graphql.operation.type", kind)
        if name:
            span.set_attribute("graphql.operation.name", name)


def traced_batch(
    tracer: Tracer, name: str, load: Callable[[list[K]], Awaitable[Sequence[V]]]
) -> Callable[[list[K]], Awaitable[Sequence[V]]]:
    """A DataLoader's batch function in a span of its own (its SQL statements beneath it)."""

    async def load_in_span(keys: list[K]) -> Sequence[V]:
        with tracer.start_as_current_span(
            f"batch {name}", attributes={"jobtree.loader": name, "jobtree.batch.size": len(keys)}
        ):
            return await load(keys)

    return load_in_span


def carrier_of(headers: Mapping[str, str], params: Mapping[str, Any] | None) -> dict[str, str]:
    """Where a WebSocket operation's trace context is: the handshake's headers, or the
    connection_init payload (browsers cannot set headers on a WebSocket), which wins."""
    carrier = {key.lower(): value for key, value in headers.items()}
    for key, value in (params or {}).items():
        if isinstance(value, str):
            carrier[key.lower()] = value
    return carrier
