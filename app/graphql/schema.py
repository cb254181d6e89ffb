"""The root schema: composes each area's Query and Mutation, and runs each operation through
the request pipeline (app/graphql/pipeline)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

import strawberry
from graphql import GraphQLError
from opentelemetry.trace import Span, Tracer
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from app.graphql.appointments.mutations import AppointmentMutation
from app.graphql.appointments.queries import AppointmentQuery
from app.graphql.common.scalars import SCALARS
from app.graphql.context import Context
from app.graphql.custom_services.mutations import CustomServiceMutation
from app.graphql.custom_services.queries import CustomServiceQuery
from app.graphql.events.queries import EventQuery
from app.graphql.events.subscriptions import LiveSubscription
from app.graphql.facility_connections.mutations import FacilityConnectionMutation
from app.graphql.facility_connections.queries import FacilityConnectionQuery
from app.graphql.fast_path import ReadPathExecutor
from app.graphql.orders.mutations import OrderMutation
from app.graphql.orders.queries import OrderQuery
from app.graphql.pipeline.errors import translate_errors
from app.graphql.pipeline.lane import ReadLane
from app.graphql.pipeline.outcome import outcome, record
from app.graphql.pipeline.state import Pipeline
from app.graphql.response_budget import BudgetedExecutor
from app.graphql.service_data.maintenance import ServiceDataMaintenanceMutation
from app.graphql.service_data.mutations import ServiceDataMutation
from app.graphql.service_data.queries import ServiceDataQuery
from app.graphql.service_jobs.mutations import ServiceJobMutation
from app.graphql.service_jobs.queries import ServiceJobQuery
from app.graphql.trees.mutations import TreeMutation
from app.graphql.trees.queries import TreeQuery
from app.graphql.trees.search import TreeSearchQuery
from app.graphql.webhooks.mutations import WebhookMutation
from app.graphql.webhooks.queries import WebhookQuery
from app.services.fair_use import Limiter
from app.services.persisted_documents import PersistedDocuments
from app.settings import Settings
from app.tracing.graphql import carrier_of, end_operation, operation_span


@strawberry.type(description="Read the tenant's custom services, connections, jobs and trees.")
class Query(
    CustomServiceQuery,
    FacilityConnectionQuery,
    ServiceJobQuery,
    TreeQuery,
    TreeSearchQuery,
    OrderQuery,
    ServiceDataQuery,
    AppointmentQuery,
    EventQuery,
    WebhookQuery,
):
    pass


@strawberry.type(
    description="Change the tenant's data. Every mutation takes one `input` and returns a payload "
    "with `userErrors`; when any error is returned, nothing was written."
)
class Mutation(
    CustomServiceMutation,
    FacilityConnectionMutation,
    ServiceJobMutation,
    TreeMutation,
    OrderMutation,
    ServiceDataMutation,
    ServiceDataMaintenanceMutation,
    AppointmentMutation,
    WebhookMutation,
):
    pass


@strawberry.type(
    description="Live changes over WebSocket (graphql-transport-ws at /graphql; the token goes "
    "in connection_init's payload as `Authorization`)."
)
class Subscription(LiveSubscription):
    pass


class GatewaySchema(strawberry.Schema):
    """Translates every error of a result, whichever phase (parse, validate, execute) made it;
    extensions only see the errors of phases that did not raise."""

    #: Whether error messages may suggest names of the schema (development only).
    suggestions = True
    #: Spans of each operation, when tracing is on (app/tracing); None costs nothing.
    tracer: Tracer | None = None
    #: Queries whose every check passed, run without Strawberry's extension runner (None:
    #: every operation goes through the extensions).
    lane: ReadLane | None = None

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        # Subscriptions run over WebSocket only (stream); over HTTP they are refused, 400.
        allowed = kwargs.get("allowed_operation_types")
        if allowed is not None:
            kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        context = kwargs.get("context_value")
        if isinstance(context, Context):
            context.query_text = args[0] if args else kwargs.get("query")
            if self.tracer is not None:
                with _operation_span(self.tracer, context, kwargs, "http") as span:
                    result = await self._execute(context, *args, **kwargs)
                    end_operation(span, outcome(result))
                return result
        return await self._execute(context, *args, **kwargs)

    async def _execute(self, context: object, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            result = None
            if self.lane is not None and isinstance(context, Context) and not args[1:]:
                result = await self.lane.run(
                    context,
                    context.query_text,
                    kwargs.get("variable_values"),
                    kwargs.get("operation_name"),
                    kwargs.get("allowed_operation_types"),
                    kwargs.get("operation_extensions"),
                )
            if result is None:
                result = await super().execute(*args, **kwargs)
        finally:
            if isinstance(context, Context) and not context.released_after_response:
                context.release()
        if result.errors:
            request_id = context.request_id if isinstance(context, Context) else "-"
            result.errors = translate_errors(result.errors, request_id, self.suggestions)
        if isinstance(context, Context):
            record(context, kwargs.get("operation_name"), context.query_text, result)
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """Operations over WebSocket: each gets a context of its own, and its results are
        translated like those of HTTP requests."""
        context = kwargs.get("context_value")
        if isinstance(context, Context):
            context = kwargs["context_value"] = context.for_operation()
        source = await super().stream(*args, **kwargs)
        results = _translated(source, context, self.suggestions)
        if self.tracer is not None and isinstance(context, Context):
            query = args[0] if args else kwargs.get("query")
            return _traced_stream(self.tracer, results, context, {**kwargs, "query": query})
        return results

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # translate_errors logs unexpected errors once, with the request id; expected ones
        # (validation, refusals) are not worth a log line each.
        return


def _operation_span(
    tracer: Tracer, context: Context, kwargs: dict[str, Any], transport: str
) -> AbstractContextManager[Span]:
    request = context.request
    carrier: Mapping[str, str] = request.headers
    if transport == "websocket":
        carrier = carrier_of(request.headers, context.connection_params)
    viewer = context.viewer_or_none
    return operation_span(
        tracer,
        carrier,
        transport=transport,
        request_id=context.request_id,
        tenant=viewer.tenant if viewer else None,
        query=context.query_text or kwargs.get("query"),
        operation_name=kwargs.get("operation_name"),
    )


async def _traced_stream(
    tracer: Tracer, source: AsyncIterator[Any], context: Context, kwargs: dict[str, Any]
) -> AsyncGenerator[Any, None]:
    """A WebSocket operation in its span: a query or mutation until its one result, a
    subscription for as long as it runs (each result delivered is an event on it)."""
    with _operation_span(tracer, context, kwargs, "websocket") as span:
        latest = "ok"
        try:
            async for result in source:
                if isinstance(result, ExecutionResult):
                    latest = outcome(result)
                    span.add_event("graphql.result", {"jobtree.outcome": latest})
                yield result
        finally:
            end_operation(span, latest)
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()


async def _translated(
    source: AsyncIterator[Any], context: object, suggestions: bool
) -> AsyncGenerator[Any, None]:
    request_id = context.request_id if isinstance(context, Context) else "-"
    try:
        async for result in source:
            if isinstance(result, ExecutionResult) and result.errors:
                result.errors = translate_errors(result.errors, request_id, suggestions)
            yield result
    finally:
        if isinstance(context, Context):
            context.release()
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


def build_schema(
    settings: Settings,
    tracer: Tracer | None = None,
    limiter: Limiter | None = None,
    documents: PersistedDocuments | None = None,
) -> strawberry.Schema:
    """The gateway's schema with its pipeline; `limiter` charges fair use budgets and
    `documents` remembers automatic persisted queries (each stage only when given)."""
    executor = ReadPathExecutor if settings.fast_tree_path else BudgetedExecutor
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=executor,
        config=StrawberryConfig(
            disable_field_suggestions=not settings.is_development, scalar_map=SCALARS
        ),
    )
    pipeline = Pipeline.for_schema(schema._schema, settings, tracer, limiter, documents)
    # The stages need the schema, and the schema runs them: set once, before any request.
    schema.extensions = tuple(pipeline.extensions())
    schema.suggestions = settings.is_development
    schema.tracer = tracer
    if settings.fast_tree_path:
        schema.lane = ReadLane(pipeline, executor)
    return schema


def sdl() -> str:
    """The schema as SDL; the same whatever the settings."""
    return (
        str(
            strawberry.Schema(
                query=Query,
                mutation=Mutation,
                subscription=Subscription,
                config=StrawberryConfig(scalar_map=SCALARS),
            )
        )
        + "\n"
    )
