"""The ASGI application: GraphQL, health checks and the GraphiQL assets."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app.db.engine import (
    create_engine,
    create_read_session_factory,
    create_row_reads,
    create_session_factory,
    normalize_url,
)
from app.db.statements import StatementCountMiddleware, count_statements
from app.domain.fair_use import Policy
from app.domain.persisted_documents import Mode
from app.events.hub import create_hub
from app.events.outbox import CHANNEL
from app.graphql.schema import build_schema
from app.http.body_limit import BodyLimitMiddleware
from app.http.documents import download_endpoint, upload_endpoint
from app.http.graphiql import STATIC_DIR, STATIC_URL_PREFIX
from app.http.graphql_view import GatewayGraphQL
from app.http.observability import ObservabilityMiddleware, metrics_endpoint, worker_exited
from app.http.request_id import RequestIdMiddleware
from app.http.tree_view import tree_view_endpoint
from app.logs import configure_logging
from app.metrics import watch_hold, watch_pool
from app.services.fair_use import MemoryLimiter, create_limiter
from app.services.persisted_documents import PersistedDocuments
from app.services.webhook_delivery import WebhookDeliverer
from app.settings import Settings
from app.tracing import Tracing, tracing_from_environment
from app.tracing.sql import trace_statements


def create_app(
    settings: Settings | None = None,
    engine: AsyncEngine | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """The gateway; `tracing` defaults to what the OTEL_* variables configure (usually off)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format_effective)
    tracing = tracing or tracing_from_environment()
    tracer = tracing.tracer if tracing is not None else None
    engine = engine or create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pooler=settings.database_pooler,
        ping_after_idle=settings.db_ping_after_idle_seconds,
    )
    count_statements(engine)
    watch_pool(engine)
    untrace = trace_statements(engine, tracer) if tracer is not None else None
    # LISTEN needs a connection of its own for as long as it listens: a direct one when
    # DATABASE_URL goes through a transaction pooler.
    listen_url = (
        normalize_url(settings.database_listen_url) if settings.database_listen_url else engine.url
    )
    hub = create_hub(listen_url, CHANNEL)
    db = create_session_factory(engine, hub)
    deliverer = WebhookDeliverer(db, settings)
    hub.observe(deliverer.wake)
    row_reads = create_row_reads(engine, traced=tracer is not None)
    watch_hold(row_reads.hold)
    mode = Mode(settings.persisted_queries)
    documents = PersistedDocuments(db, mode, settings.persisted_queries_per_tenant)
    limiter, anonymous = None, None
    if settings.rate_limit_enabled:
        policy = Policy(settings.rate_limit_cost, settings.rate_limit_window_seconds)
        limiter = create_limiter(policy, db, engine.dialect.name, row_reads)
        anonymous = MemoryLimiter(policy)
    graphql = GatewayGraphQL(
        build_schema(settings, tracer, limiter, documents if mode is Mode.APQ else None),
        settings=settings,
        db=db,
        read_db=create_read_session_factory(engine),
        row_reads=row_reads,
        hub=hub,
        documents=documents,
        anonymous_limiter=anonymous,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        allowed_origins=tuple(settings.ws_allowed_origins),
        tracer=tracer,
    )

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "reachable"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tune_garbage_collector(settings.gc_gen0_threshold)
        await hub.start()
        if settings.webhooks_enabled:
            await deliverer.start()
        try:
            yield
        finally:
            await deliverer.stop()
            await hub.stop()
            await engine.dispose()
            worker_exited()
            if untrace is not None:
                untrace()
            if tracing is not None:
                tracing.shutdown()

    app = Starlette(
        # /graphql first: the router tries routes in order, and nearly every request is one.
        routes=[
            Route("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint(settings), methods=["GET"]),
            Route("/uploads/{token}", upload_endpoint(settings, db), methods=["PUT"]),
            Route("/documents/{ident}", download_endpoint(settings, db), methods=["GET"]),
            Route("/trees/{ident}", tree_view_endpoint(graphql), methods=["GET"]),
            WebSocketRoute("/graphql", graphql),
            Mount(STATIC_URL_PREFIX, StaticFiles(directory=STATIC_DIR), name="graphiql-assets"),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(StatementCountMiddleware),
            Middleware(ObservabilityMiddleware),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_request_bytes,
                exempt_prefixes=("/uploads/",),
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.db = db
    app.state.hub = hub
    app.state.tracing = tracing
    app.state.webhooks = deliverer
    return app


def tune_garbage_collector(gen0_threshold: int) -> None:
    """Move everything loaded at start-up out of the collector's sight and collect young
    objects less often: a tree read allocates tens of thousands of short-lived objects, and
    full collections in the middle of it cost more than the read itself."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
