"""Stage 5, fair use before execution: an operation that passed every other check spends its
estimated cost (app/graphql/cost.py) from its caller's budget (app/services/fair_use.py), or
is refused with RATE_LIMITED (HTTP 429 and Retry-After). Every HTTP answer carries the
caller's RateLimit-Limit, -Remaining, -Reset and -Policy headers. An operation refused
earlier (invalid, too complex) costs 1."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.domain.fair_use import Decision
from app.graphql.context import Context
from app.services.fair_use import Limiter, caller_of

RATE_LIMITED = "RATE_LIMITED"


def rate_limited_error(decision: Decision) -> GraphQLError:
    retry = decision.retry_after_seconds()
    return GraphQLError(
        f"Fair use limit reached: this operation needs more of your query cost budget than "
        f"is left ({decision.remaining:,} of {decision.limit:,}); retry in {retry} s.",
        extensions={"code": RATE_LIMITED, "retryAfter": retry, "limit": decision.limit},
    )


async def charge(limiter: Limiter, ours: Context, cost: int) -> Decision | None:
    """Charges the operation's caller `cost` once (None: no caller, or charged already), and
    puts the budget's headers on the response (429 when refused)."""
    viewer = ours.viewer_or_none
    if viewer is None or ours.charged:
        return None
    ours.charged = True
    decision = await limiter.charge(caller_of(viewer), cost)
    if isinstance(ours.response, Response):
        ours.response.headers.update(decision.headers(limiter.policy))
        if not decision.allowed:
            ours.response.status_code = 429
    return decision


class FairUseCharge(SchemaExtension):
    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ours = self.execution_context.context
        if isinstance(ours, Context):
            # Refused before execution: the work done so far is worth one unit.
            await charge(self.limiter, ours, 1)

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        ours = context.context
        if context.result is None and isinstance(ours, Context) and ours.query_cost is not None:
            decision = await charge(self.limiter, ours, ours.query_cost)
            if decision is not None and not decision.allowed:
                error = rate_limited_error(decision)
                if context.operation_type is OperationType.SUBSCRIPTION:
                    raise error
                context.result = ExecutionResult(data=None, errors=[error])
        yield
