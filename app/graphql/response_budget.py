"""graphql-core's executor with a budget on the bytes of the response it builds.

The cost limit prices a document before execution; what its fields really hold is known only
while they are completed. Every leaf completed adds its length (its text, or a few bytes for a
number, a boolean or an enum) to the request's tally, and once the tally passes
MAX_RESPONSE_BYTES the whole operation stops with RESPONSE_TOO_LARGE: the error is raised past
nullable fields instead of being collected beside them, so the response is one error, and the
rest of the work is skipped instead of being built and then thrown away. The HTTP view checks
the encoded body against the same bound as well (for the compiled tree walk, which completes
its leaves itself).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLLeafType, GraphQLOutputType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

#: What a leaf that is not text adds to the tally: its value, its key and punctuation.
LEAF_BYTES = 8
_complete_leaf = StrawberryGraphQLCoreExecutionContext.complete_leaf_value


class ResponseTooLarge(GraphQLError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The response would be larger than {limit:,} bytes: ask for fewer items or fewer "
            "fields.",
            extensions={"code": "RESPONSE_TOO_LARGE", "limit": limit},
        )


class RowsTooMany(ResponseTooLarge):
    """A read passed the request's row allowance (MAX_SERVICE_DATA_ROWS): what it asked for
    grows with the data, past what an estimate before execution bounds."""

    def __init__(self, limit: int) -> None:
        GraphQLError.__init__(
            self,
            f"The response would hold more than {limit:,} rows of service data: ask for the "
            "service data of fewer trees, or fewer of its lists.",
            extensions={"code": "RESPONSE_TOO_LARGE", "rowLimit": limit},
        )


class BudgetedExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(self.context_value, "settings", None)
        self.response_budget: int | None = getattr(settings, "max_response_bytes", None)
        self.response_bytes = 0

    def complete_leaf_value(self, return_type: GraphQLLeafType, result: Any) -> Any:  # type: ignore[override]
        value = _complete_leaf(return_type, result)
        self.response_bytes += len(value) + LEAF_BYTES if type(value) is str else LEAF_BYTES
        budget = self.response_budget
        if budget is not None and self.response_bytes > budget:
            raise ResponseTooLarge(budget)
        return value

    def complete_list_value(self, *args: Any, **kwargs: Any) -> Any:
        # Lists still waiting when the budget ran out stop before their first item.
        budget = self.response_budget
        if budget is not None and self.response_bytes > budget:
            raise ResponseTooLarge(budget)
        return super().complete_list_value(*args, **kwargs)

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> None:
        if isinstance(raw_error, ResponseTooLarge):
            raise raw_error
        if isinstance(raw_error, GraphQLError) and isinstance(
            raw_error.original_error, ResponseTooLarge
        ):
            raise raw_error.original_error
        super().handle_field_error(raw_error, return_type, field_details_list, path)
