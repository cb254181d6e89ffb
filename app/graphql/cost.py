"""Query cost: refuse, before execution, operations whose lists multiply beyond a limit.

Every selected field costs one per instance the response could hold. A list multiplies the
instances beneath it by its largest possible length: `first` (or the default page) for a
connection's `edges`/`nodes`, the domain's bounds for bounded lists (50 line items, 15
questions, …) and a default for the rest. Links are bounded by their tree: however they are
nested, a tree holds at most MAX_JOBS_PER_TREE links, each priced at the dearest level's
selection, so a 25-level tree is priced as one tree, not as 50^25 links.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode

#: Largest lengths of the lists the domain bounds, by "Type.field".
BOUNDED: Mapping[str, int] = {
    "ServiceJob.lineItems": 50,
    "ServiceJob.requiredLineItems": 100,
    "ServiceJob.additionalInformation": 15,
    "ServiceJob.assignedUsers": 10,
    "CustomService.additionalInformation": 15,
    "CustomService.articleItems": 50,
    "CustomService.requiredCustomServices": 25,
    "CustomService.requiredCustomServiceRefs": 25,
    "Article.attributes": 20,
}
DEFAULT_LIST = 20
#: Costs saturate here: nested lists grow exponentially, and the figure is reported in JSON.
CAP = 10**15
LINK = "ServiceJobLink"
NEXT = "nextServiceJobLinks"


@dataclass(frozen=True, slots=True)
class Pricing:
    default_page: int
    max_page: int
    tree_size: int


class _Estimator:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        pricing: Pricing,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.pricing = pricing
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def fields(self, selection_set: SelectionSetNode, seen: frozenset[str]) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    yield from self.fields(fragment.selection_set, seen | {name})

    def page(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and value >= 0:
                return min(value, self.pricing.max_page)
        return self.pricing.default_page

    def cost(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        instances: int,
        page: int,
        trees: int | None,
        own_level_only: bool = False,
    ) -> int:
        total = 0
        for node in self.fields(selection_set, frozenset()):
            if own_level_only and node.name.value == NEXT:
                continue
            total += instances
            field = parent.fields.get(node.name.value)
            if field is None or node.selection_set is None:
                continue
            graphql_type: Any = field.type
            is_list = False
            while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
                is_list = is_list or isinstance(graphql_type, GraphQLList)
                graphql_type = graphql_type.of_type
            named = get_named_type(graphql_type)
            count = instances
            if is_list and named.name == LINK:
                # However the links are nested (or flat), a tree holds at most tree_size of
                # them: price every one of them at the dearest level's selection.
                links = (trees if trees is not None else instances) * self.pricing.tree_size
                total += links * self.dearest_level(node.selection_set, page)
                continue
            if is_list:
                key = f"{parent.name}.{node.name.value}"
                if node.name.value in {"edges", "nodes"} and parent.name.endswith("Connection"):
                    count = instances * page
                else:
                    count = instances * BOUNDED.get(key, DEFAULT_LIST)
            count = min(count, CAP)
            child_page = self.page(node) if named.name.endswith("Connection") else page
            child_trees = count if named.name == "LinkedServiceJobs" else trees
            possible = self.schema.get_possible_types(named) if is_abstract_type(named) else [named]
            for object_type in possible:
                if isinstance(object_type, GraphQLObjectType):
                    total += self.cost(
                        object_type, node.selection_set, count, child_page, child_trees
                    )
        return total

    def dearest_level(self, selection_set: SelectionSetNode, page: int) -> int:
        """The largest cost of one link's own fields over the nested levels of a selection."""
        link_type = self.schema.get_type(LINK)
        assert isinstance(link_type, GraphQLObjectType)
        dearest = self.cost(link_type, selection_set, 1, page, 1, own_level_only=True)
        for node in self.fields(selection_set, frozenset()):
            if node.name.value == NEXT and node.selection_set is not None:
                dearest = max(dearest, self.dearest_level(node.selection_set, page))
        return dearest


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    pricing: Pricing,
) -> int:
    """The cost of the operation that would run (0 when there is none to run)."""
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if not operations:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    # A variable's default is its value when the request leaves it out.
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    estimator = _Estimator(schema, document, values, pricing)
    return min(estimator.cost(root, operation.selection_set, 1, pricing.default_page, None), CAP)


def page_variables(document: DocumentNode) -> tuple[str, ...]:
    """Names of the variables given as `first` anywhere in the document: the only variables
    whose values change a cost (so a cost can be remembered by their values alone)."""
    names: set[str] = set()
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value == "first" and isinstance(argument.value, VariableNode):
                    names.add(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return tuple(sorted(names))
