"""The read lane: a query whose text has been parsed and validated before (by the stages as
Strawberry extensions) runs through the same stages as plain calls, then straight on
graphql-core's executor, without Strawberry's extension runner around each phase.

Strawberry runs five extension hooks per phase of every operation, each a generator entered
and left, and builds its execution context on top: for a one-job read that was about a third
of the request's time in Python. Here the stages are the same objects with the same caches
(app/graphql/pipeline/state.py) called in the same order, so the lane answers exactly what
the extensions would; and it answers only when each of them lets the operation run. Anything
else — a text not parsed or validated yet, a mutation, a refusal by the limits, the cost or
the input texts, tracing on, an automatic persisted query to remember — is left to Strawberry
(`run` returns None), which then does its usual work, errors included. Fair use is charged
here (once: the context remembers it), and its refusal answered here; a cheap read runs while
its charge travels to the database that keeps the budgets."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any, cast

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from graphql import OperationType as CoreOperationType
from graphql.execution import ExecutionResult as CoreExecutionResult
from graphql.execution import execute
from graphql.utilities import get_operation_ast
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.domain.fair_use import READ_BESIDE_CHARGE_MAX_COST, Decision
from app.graphql.context import Context
from app.graphql.fast_path import Declined, ReadPathExecutor, run_compiled_operation
from app.graphql.pipeline.fair_use import charge, rate_limited_error
from app.graphql.pipeline.persisted import PENDING_DOCUMENT
from app.graphql.pipeline.state import Pipeline
from app.graphql.response_budget import ResponseTooLarge
from app.services.fair_use import caller_of


class ReadLane:
    """Runs validated queries without Strawberry's extension runner (see the module doc)."""

    def __init__(self, pipeline: Pipeline, executor_class: type[Any]) -> None:
        self.pipeline = pipeline
        self.executor_class = executor_class
        #: Operations the lane answered in this process (the tests read it).
        self.answered = 0

    def _operation(
        self, query: str, operation_name: str | None
    ) -> tuple[DocumentNode, OperationDefinitionNode] | None:
        """The document and its query operation, when both stages before execution passed on
        this text already (else None: Strawberry parses, validates and caches it)."""
        pipeline = self.pipeline
        document = pipeline.parsed.get(query)
        if document is None:
            return None
        errors = pipeline.validated.get(query)
        if errors is None or errors:
            return None
        operation = get_operation_ast(document, operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            return None
        if operation.operation is not CoreOperationType.QUERY:
            return None
        return document, operation

    async def run(
        self,
        context: Context,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        allowed: Collection[OperationType] | None,
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The operation's result, or None when Strawberry's pipeline must run it."""
        pipeline = self.pipeline
        if (
            not query
            or pipeline.tracer is not None
            or (allowed is not None and OperationType.QUERY not in allowed)
            or context.viewer_or_none is None
            or PENDING_DOCUMENT in context.request.scope
        ):
            return None
        found = self._operation(query, operation_name)
        if found is None:
            return None
        document, operation = found
        values = variables or {}
        if pipeline.cost.refusal(query, operation_name, document, values, context) is not None:
            return None
        context.tree_columns = pipeline.planner.for_document(query, document)
        self.answered += 1
        try:
            return await self._execute(context, document, operation, values, extensions)
        except Exception as error:
            # decides (a database out of reach, say, is DATABASE_UNAVAILABLE, not a 500).
            failure = error if isinstance(error, GraphQLError) else None
            return ExecutionResult(
                data=None, errors=[failure or GraphQLError(str(error), original_error=error)]
            )

    async def _execute(
        self,
        context: Context,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        values: Mapping[str, Any],
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        """Charges fair use, then answers; a cheap operation whose charge must go to the
        database that keeps the budgets is read while its charge is on its way
        (READ_BESIDE_CHARGE_MAX_COST), and its answer is dropped when the charge is refused:
        the caller sees the same RATE_LIMITED either way."""
        limiter = self.pipeline.limiter
        cost = context.query_cost
        if limiter is None or cost is None:
            return await self._answer(context, document, operation, values, extensions)
        viewer = context.viewer_or_none
        if (
            viewer is None
            or cost > READ_BESIDE_CHARGE_MAX_COST
            or limiter.covers(caller_of(viewer), cost)
        ):
            refused = _refusal(await charge(limiter, context, cost))
            if refused is not None:
                return refused
            return await self._answer(context, document, operation, values, extensions)
        charging = asyncio.ensure_future(charge(limiter, context, cost))
        try:
            result = await self._answer(context, document, operation, values, extensions)
        except Exception:
            # Read first, the refusal would have been the answer: it still is.
            refused = await _refusal_of(charging)
            if refused is not None:
                return refused
            raise
        except BaseException:
            charging.cancel()
            raise
        return await _refusal_of(charging, reraise=True) or result

    async def _answer(
        self,
        context: Context,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        values: Mapping[str, Any],
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        schema = self.pipeline.cost.schema
        operation_name = operation.name.value if operation.name else None
        declined: Declined | None = None
        if self.executor_class is ReadPathExecutor and context.query_text:
            # Every root planned before: no executor at all (app/graphql/fast_path.py).
            try:
                data = await run_compiled_operation(
                    schema, context.query_text, operation, context, values
                )
            except ResponseTooLarge as refused:
                return ExecutionResult(data=None, errors=[refused])
            if isinstance(data, dict):
                return ExecutionResult(data=data, errors=None)
            declined = data
        result = execute(
            schema,
            document,
            context_value=context,
            variable_values=dict(values),
            operation_name=operation_name,
            is_awaitable=cast(Any, optimized_is_awaitable),
            executor_class=self.executor_class,
            operation_extensions=extensions,
        )
        if not isinstance(result, CoreExecutionResult):
            result = await result
        if declined is not None:
            declined.judge(result.errors, context.request_id)
        return ExecutionResult(data=result.data, errors=result.errors)


async def _refusal_of(
    charging: asyncio.Future[Decision | None], reraise: bool = False
) -> ExecutionResult | None:
    """The RATE_LIMITED answer when the charge was refused, else None. A charge that failed
    raises its error when `reraise` says so, else (the read failed too) counts as no refusal."""
    try:
        decision = await charging
    except Exception:
        if reraise:
            raise
        return None
    return _refusal(decision)


def _refusal(decision: Decision | None) -> ExecutionResult | None:
    """The RATE_LIMITED answer of a refused charge (None: charged, or nothing to charge)."""
    if decision is not None and not decision.allowed:
        return ExecutionResult(data=None, errors=[rate_limited_error(decision)])
    return None
