"""A span per SQL statement, from SQLAlchemy's cursor events on the engine, beneath the span
current when the statement runs (a DataLoader batch, a tree read, or the operation).

Our own hooks rather than opentelemetry-instrumentation-sqlalchemy: its releases pin the
semantic conventions package to the SDK release before the current one (0.66b1 against the
SDK 1.45.2's 0.66b2: pip cannot install both), it declares SQLAlchemy < 2.1 (we run 2.1), its
instrumentor is one per process where each app has its own engine and tracer, and per
statement it re-derives connection attributes we know once per engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

#: Where a statement's span waits for the statement's end (SQLAlchemy's execution context).
_SPAN = "_jobtree_span"
#: Longest statement text kept on a span (a tree read's SELECT is ~1,500 characters).
MAX_STATEMENT = 4096


class StatementSpans:
    """The hooks of one engine; `remove` takes them off again."""

    def __init__(self, engine: AsyncEngine, tracer: Tracer) -> None:
        self.engine = engine.sync_engine
        self.tracer = tracer
        url = self.engine.url
        system = "postgresql" if self.engine.dialect.name == "postgresql" else "sqlite"
        attributes: dict[str, str | int] = {"db.system.name": system}
        if url.database:
            attributes["db.namespace"] = url.database
        if url.host:
            attributes["server.address"] = url.host
        if url.port:
            attributes["server.port"] = url.port
        self.attributes = attributes
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "after_cursor_execute", self.after)
        event.listen(self.engine, "handle_error", self.failed)

    def before(
        self,
        _connection: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        attributes = {
            **self.attributes,
            "db.operation.name": operation,
            "db.query.text": statement[:MAX_STATEMENT],
        }
        if executemany and isinstance(parameters, list | tuple):
            attributes["db.operation.batch.size"] = len(parameters)
        span = self.tracer.start_span(operation, kind=SpanKind.CLIENT, attributes=attributes)
        if context is not None:
            setattr(context, _SPAN, span)
        else:  # no execution context to carry it: a span without a duration
            span.end()

    def after(
        self,
        _connection: Connection,
        _cursor: Any,
        _statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        span = getattr(context, _SPAN, None)
        if span is not None:
            span.end()
            setattr(context, _SPAN, None)

    def failed(self, exception: ExceptionContext) -> None:
        span = getattr(exception.execution_context, _SPAN, None)
        if span is None:
            return
        error = exception.original_exception
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.set_attribute("error.type", type(error).__name__)
        span.end()
        setattr(exception.execution_context, _SPAN, None)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)
        event.remove(self.engine, "handle_error", self.failed)


def trace_statements(engine: AsyncEngine, tracer: Tracer) -> Callable[[], None]:
    """Puts the hooks on the engine; returns what takes them off."""
    return StatementSpans(engine, tracer).remove
