"""Numbers to watch (Prometheus, through the official client library) and one structured log
line per request.

With several worker processes (`serve --workers N`), every worker writes its numbers to files
under PROMETHEUS_MULTIPROC_DIR (the `serve` command sets it up) and `/metrics`, whichever
worker answers, adds them all up: the library's documented multiprocess mode.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.statements import statements_so_far
from app.metrics import SQL_STATEMENTS, operations, request_seconds
from app.settings import Settings

access_log = logging.getLogger("app.access")
#: The status an access log line shows for a request whose client went away before it was
#: answered (nginx's convention); nobody receives it.
CLIENT_CLOSED_REQUEST = 499
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

_ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics", "/static/graphiql")
_TEMPLATED = {
    "/uploads/": "/uploads/{token}",
    "/documents/": "/documents/{id}",
    "/trees/": "/trees/{id}",
}


def route_of(path: str) -> str:
    """The route template of a path; never the path itself, which may carry an upload token."""
    for route in _ROUTES:
        if path == route or path.startswith(route + "/"):
            return route
    for prefix, template in _TEMPLATED.items():
        if path.startswith(prefix):
            return template
    return "other"


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
            request_seconds(route).observe(seconds)
            graphql = scope.get("state", {}).get("graphql")
            statements = None
            if graphql is not None:
                statements = statements_so_far()
                operations(graphql[0], graphql[1]).inc()
                if statements is not None:
                    SQL_STATEMENTS.observe(statements)
            if route != "/static/graphiql" and access_log.isEnabledFor(logging.INFO):
                fields: dict[str, Any] = {
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                }
                if graphql is not None:
                    operation, outcome, tenant = graphql
                    fields.update(
                        operation=operation,
                        outcome=outcome,
                        tenant=tenant,
                        sql_statements=statements,
                    )
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
