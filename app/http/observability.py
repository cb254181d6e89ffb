"""Numbers to watch (Prometheus, through the official client library) and one structured log
line per request.

With several worker processes (`serve --workers N`), every worker writes its numbers to files
under PROMETHEUS_MULTIPROC_DIR (the `serve` command sets it up) and `/metrics`, whichever
worker answers, adds them all up: the library's documented multiprocess mode.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.statements import statements_so_far
from app.settings import Settings

access_log = logging.getLogger("app.access")
#: The status an access log line shows for a request whose client went away before it was
#: answered (nginx's convention); nobody receives it.
CLIENT_CLOSED_REQUEST = 499
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

OPERATIONS = Counter(
    "jobtree_graphql_operations_total",
    "GraphQL operations over HTTP, by operation name and outcome (ok, or the code of the "
    "first error).",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "jobtree_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SQL_STATEMENTS = Histogram(
    "jobtree_sql_statements_per_request",
    "SQL statements one GraphQL request took.",
    buckets=(0, 1, 2, 3, 4, 5, 8, 13, 21, 34, 55, 89, 144),
)
POOL_IN_USE = Gauge(
    "jobtree_db_connections_in_use",
    "Database connections checked out of the pools, summed over live workers.",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "jobtree_db_connections_open",
    "Database connections the pools hold open, summed over live workers.",
    multiprocess_mode="livesum",
)
READ_PATH = Counter(
    "jobtree_read_path_total",
    "Root fields and trees the compiled read path served (compiled), left to graphql-core by "
    "design (graphql_core: at planning; field_error: an error or null graphql-core reports), "
    "or failed on (failure: a bug, logged; graphql-core answered).",
    ["outcome"],
)
SUBSCRIPTIONS = Gauge(
    "jobtree_subscriptions_active",
    "Subscriptions being served, summed over live workers.",
    multiprocess_mode="livesum",
)


def record_read_path(outcome: str) -> None:
    READ_PATH.labels(outcome=outcome).inc()


_ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics", "/static/graphiql")
_TEMPLATED = {
    "/uploads/": "/uploads/{token}",
    "/documents/": "/documents/{id}",
    "/trees/": "/trees/{id}",
}
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
#: Operation names are chosen by clients: past this many distinct ones, the rest count as
#: "other", so that nobody can blow up the number of time series.
MAX_OPERATION_NAMES = 200
_seen_operations: set[str] = set()


def route_of(path: str) -> str:
    """The route template of a path; never the path itself, which may carry an upload token."""
    for route in _ROUTES:
        if path == route or path.startswith(route + "/"):
            return route
    for prefix, template in _TEMPLATED.items():
        if path.startswith(prefix):
            return template
    return "other"


def operation_label(operation_name: str | None, query: str | None) -> str:
    """The operation's name (given, or the first named operation of the document), bounded in
    length and in number of distinct values."""
    name = operation_name
    if not name and query:
        match = _OPERATION.search(query[:2000])
        name = match[1] if match else None
    if not name:
        return "anonymous"
    if not _NAME.match(name) or len(name) > 64:
        return "invalid"
    if name not in _seen_operations:
        if len(_seen_operations) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_operations.add(name)
    return name


def record_operation(scope: Scope, operation: str, outcome: str, tenant: str | None) -> None:
    """Called by the schema when an operation is answered; the middleware reports it."""
    scope.setdefault("state", {})["graphql"] = (operation, outcome, tenant)


def watch_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    event.listen(pool, "connect", lambda *_: POOL_OPEN.inc())
    event.listen(pool, "close", lambda *_: POOL_OPEN.dec())
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())


class ObservabilityMiddleware:
    """Times every HTTP request, counts GraphQL operations and their SQL statements, and logs
    one line per request: method, route, status, duration, operation, outcome, tenant and
    request id (the log filter adds it). Never headers, bodies or raw paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except ClientDisconnect:
            # The client went away before its request body was read whole: nobody is left to
            # answer and nothing of ours failed, so no traceback, only the line below.
            status = CLIENT_CLOSED_REQUEST
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope["path"])
            REQUEST_SECONDS.labels(route).observe(seconds)
            fields: dict[str, Any] = {
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            graphql = scope.get("state", {}).get("graphql")
            if graphql is not None:
                operation, outcome, tenant = graphql
                statements = statements_so_far()
                OPERATIONS.labels(operation, outcome).inc()
                if statements is not None:
                    SQL_STATEMENTS.observe(statements)
                fields.update(
                    operation=operation, outcome=outcome, tenant=tenant, sql_statements=statements
                )
            if route != "/static/graphiql":
                access_log.info("request", extra=fields)


def metrics_endpoint(settings: Settings) -> Any:
    async def metrics(request: Request) -> Response:
        expected = settings.metrics_token
        if expected is not None:
            given = request.headers.get("authorization", "")
            if given != f"Bearer {expected.get_secret_value()}":
                return PlainTextResponse("metrics need the metrics token\n", 401)
        registry = REGISTRY
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def worker_exited() -> None:
    """Drops this worker's live gauges from the sums (multiprocess mode)."""
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
