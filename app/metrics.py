"""The numbers the gateway keeps (Prometheus metrics, through the official client library),
and how an operation is named in them. Framework-free: the GraphQL layer records into these, and
`app/http/observability.py` serves them and adds the per-request figures."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.row_reads import ConnectionHold

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
    "Database connections checked out of the pools and serving a request, summed over live "
    "workers (those the read path holds between reads are idle, not in use).",
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
    "design (graphql_core: at planning; stepped_aside: a null or the response budget; "
    "field_error: an error graphql-core reports too), refused (too_large: the walk found the "
    "response must pass MAX_RESPONSE_BYTES before building it), or failed on (failure: a "
    "bug, logged; graphql-core answered).",
    ["outcome"],
)
SUBSCRIPTIONS = Gauge(
    "jobtree_subscriptions_active",
    "Subscriptions being served, summed over live workers.",
    multiprocess_mode="livesum",
)

# Each metric's child per label values, looked up once: `labels()` takes a lock and checks its
# arguments on every call. The values are few (routes, bounded operation names, outcomes).
request_seconds = cache(REQUEST_SECONDS.labels)
operations = cache(OPERATIONS.labels)
read_path = cache(READ_PATH.labels)

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
#: Operation names are chosen by clients: past this many distinct ones, the rest count as
#: "other", so that nobody can blow up the number of time series.
MAX_OPERATION_NAMES = 200
_seen_operations: set[str] = set()


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


def record_operation(
    scope: MutableMapping[str, Any], operation: str, outcome: str, tenant: str | None
) -> None:
    """Called by the schema when an operation is answered; the middleware reports it."""
    scope.setdefault("state", {})["graphql"] = (operation, outcome, tenant)


def record_read_path(outcome: str) -> None:
    read_path(outcome).inc()


def watch_hold(hold: ConnectionHold | None) -> None:
    """Connections held between reads (app/db/row_reads.py) are checked out but idle."""
    if hold is not None:
        hold.on_change = lambda delta: POOL_IN_USE.dec(delta)


def watch_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    event.listen(pool, "connect", lambda *_: POOL_OPEN.inc())
    event.listen(pool, "close", lambda *_: POOL_OPEN.dec())
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())
