"""Stage 4, the last checks before a validated operation runs: every input text within its
bound (app/domain/text_limits.py; BAD_REQUEST) and the estimated cost (app/graphql/cost.py)
within the limit (QUERY_TOO_COMPLEX, with the cost and the limit). Then the tree reads are
told which columns the document needs (app/graphql/trees/columns.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.graphql.context import Context
from app.graphql.cost import Pricing, estimate_cost, page_variables
from app.graphql.input_text import InputTexts, input_texts, variable_problems
from app.graphql.pipeline.limits import too_complex
from app.graphql.trees.columns import ColumnPlanner
from app.lru import Lru


@dataclass
class DocumentFacts:
    """What the checks remember of one query text and operation: the variables whose values
    change its cost (those given as `first`) with the costs seen for their values, and where
    its input texts are (their literals checked once)."""

    page_variables: tuple[str, ...]
    texts: InputTexts
    costs: dict[tuple[str, ...], int] = field(default_factory=dict)


#: DocumentFacts by query text and operation name.
QueryCosts = Lru[tuple[str, str | None], DocumentFacts]
#: Costs remembered per document for distinct page sizes (a client picks a handful).
_COSTS_PER_DOCUMENT = 32


@dataclass
class CostCheck:
    """The input texts and the cost of operations of one schema, remembered per query text,
    operation and page sizes."""

    schema: GraphQLSchema
    limit: int
    pricing: Pricing
    costs: QueryCosts

    def refusal(
        self,
        query: str | None,
        operation_name: str | None,
        document: DocumentNode,
        variables: Mapping[str, Any],
        context: object,
    ) -> ExecutionResult | None:
        """Why the operation must not run (None: it may); its cost goes to the context."""
        facts = self._facts(query, operation_name, document)
        problems = list(facts.texts.problems) or variable_problems(facts.texts, variables)
        if problems:
            return ExecutionResult(
                data=None,
                errors=[GraphQLError(p, extensions={"code": "BAD_REQUEST"}) for p in problems],
            )
        cost = self._cost(operation_name, document, variables, facts)
        if isinstance(context, Context):
            context.query_cost = cost
        if cost <= self.limit:
            return None
        return ExecutionResult(
            data=None,
            errors=[
                too_complex(
                    f"The query would cost {cost:,} (at most {self.limit:,}): ask for "
                    "fewer items per list, fewer nested lists or fewer long texts.",
                    cost=cost,
                    limit=self.limit,
                )
            ],
        )

    def _facts(
        self, query: str | None, operation_name: str | None, document: DocumentNode
    ) -> DocumentFacts:
        key = (query or "", operation_name)
        facts = self.costs.get(key) if query else None
        if facts is None:
            facts = DocumentFacts(page_variables(document), input_texts(self.schema, document))
            if query:
                self.costs.put(key, facts)
        return facts

    def _cost(
        self,
        operation_name: str | None,
        document: DocumentNode,
        variables: Mapping[str, Any],
        facts: DocumentFacts,
    ) -> int:
        values = tuple(
            repr(variables[name]) if name in variables else "" for name in facts.page_variables
        )
        cost = facts.costs.get(values)
        if cost is None:
            cost = estimate_cost(self.schema, document, operation_name, variables, self.pricing)
            if len(facts.costs) < _COSTS_PER_DOCUMENT:
                facts.costs[values] = cost
        return cost


class BeforeExecution(SchemaExtension):
    """Runs the CostCheck before execution, then plans the tree reads' columns."""

    def __init__(self, check: CostCheck, planner: ColumnPlanner) -> None:
        self.check = check
        self.planner = planner

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            refusal = self.check.refusal(
                context.query,
                context.operation_name,
                document,
                context.variables or {},
                context.context,
            )
            if refusal is not None and context.operation_type is OperationType.SUBSCRIPTION:
                # A subscription's source ignores a prepared result; Strawberry turns what
                # this hook raises into the stream's one error.
                assert refusal.errors
                raise refusal.errors[0]
            context.result = refusal
            ours = context.context
            if refusal is None and isinstance(ours, Context):
                ours.tree_columns = self.planner.for_document(context.query, document)
        yield
