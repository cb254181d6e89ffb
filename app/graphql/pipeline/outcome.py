"""What each operation came to, as /metrics counts it and spans note it: `ok`, or the code of
its first error."""

from __future__ import annotations

from strawberry.types import ExecutionResult

from app.graphql.context import Context
from app.metrics import operation_label, record_operation


def outcome(result: ExecutionResult) -> str:
    """`ok`, or the code of the first error."""
    if not result.errors:
        return "ok"
    code = (result.errors[0].extensions or {}).get("code")
    return code if isinstance(code, str) and code.isupper() and len(code) < 40 else "error"


def record(
    context: Context, operation_name: str | None, query: str | None, result: ExecutionResult
) -> None:
    """Counts the operation in /metrics, by name, outcome and tenant."""
    viewer = context.viewer_or_none
    record_operation(
        context.request.scope,
        operation_label(operation_name, query),
        outcome(result),
        viewer.tenant if viewer else None,
    )
