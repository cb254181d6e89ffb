"""What a document asks for, worked out in time linear in its size: depth, aliases and cost.

Cost: every selected field costs one per instance the response could hold, and a text field
more, by what it can weigh (one per TEXT_UNIT characters of its kind's bound, see
app/domain/text_limits.py); MAX_RESPONSE_BYTES is the hard bound on a response's bytes.
A list multiplies the instances beneath it by its largest possible length: `first` or `last`
(the larger when both are given; else the default page) for a connection's `edges`/`nodes`,
the domain's bounds for bounded lists (50 line items, 15 questions, …) and a default for the
rest. Links are bounded by their tree: however they are nested, a tree holds at most
MAX_JOBS_PER_TREE links, each priced at the dearest level's selection, so a 25-level tree is
priced as one tree, not as 50^25 links.

Linear: a named fragment is analysed once per type it is spread on and remembered; a spread
adds the remembered figure instead of walking the fragment again, so `fragment F0 { ...F1
...F1 }` nested thirty times is thirty walks, not 2^30. Figures are per instance (the cost of
n parents is n times the cost of one) and, on a connection, split into a fixed part and a part
per item of the page, which is what lets them be remembered whatever the page sizes. The
analysis runs after validation, so fragments are known to exist, to fit their types and to
have no cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
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

from app.domain.localized import MAX_TEXT_LENGTH
from app.domain.text_limits import text_kind
from app.graphql.read_path.sources import BACKREF

#: The metadata key of the largest length the domain allows a list field.
BOUND = "bound"
#: The largest length assumed of a list field that declares no bound.
DEFAULT_LIST = 20
#: Characters of text one unit of cost pays for: ids, codes and titles cost one, free text
#: (4,000 characters) four.
TEXT_UNIT = 1000
#: Weights of the custom scalars: priced as one free text each (a localized text is read in
#: one locale at a time by most clients; a JSON object holds at most 15 KB).
_SCALAR_WEIGHT: Mapping[str, int] = {
    "LocalizedText": MAX_TEXT_LENGTH // TEXT_UNIT,
    "JSONObject": MAX_TEXT_LENGTH // TEXT_UNIT,
}
#: Costs saturate here: nested lists grow exponentially, and the figure is reported in JSON.
CAP = 10**15
LINK = "ServiceJobLink"
#: The arguments that size a connection's page.
PAGE_ARGUMENTS = frozenset({"first", "last"})
NEXT = "nextServiceJobLinks"


@dataclass(frozen=True, slots=True)
class Pricing:
    default_page: int
    max_page: int
    tree_size: int


@dataclass(frozen=True, slots=True)
class Shape:
    """What an operation asks for whatever its variables: its depth (fields with a
    selection, nested) and its aliases (counted as often as the response would hold them)."""

    depth: int
    aliases: int


def bounded(length: int) -> dict[str, int]:
    """A list field's metadata: the largest length the domain allows it, read from the
    domain's constant where the field is defined (`metadata=bounded(MAX_LINE_ITEMS)`, or
    `reads(...) | bounded(...)`)."""
    return {BOUND: length}


def bound_of(field: GraphQLField) -> int:
    """The largest length of a list field: the bound its Strawberry definition declares,
    else DEFAULT_LIST."""
    metadata = getattr(field.extensions.get(BACKREF), "metadata", None) or {}
    bound = metadata.get(BOUND)
    return bound if isinstance(bound, int) else DEFAULT_LIST


def leaf_weight(field_name: str, type_name: str) -> int:
    """The cost of one value of a leaf field: one, more for text that can be long."""
    weight = _SCALAR_WEIGHT.get(type_name)
    if weight is not None:
        return weight
    if type_name in {"String", "ID"}:
        return max(1, -(-text_kind(field_name).max_length // TEXT_UNIT))
    return 1


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class _ShapeOf:
    """Depth and aliases of selection sets, each named fragment worked out once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = _fragments(document)
        self.memo: dict[str, tuple[int, int]] = {}
        self.visiting: set[str] = set()
        #: Selections visited: the work done, which tests hold to be linear in the document.
        self.visits = 0

    def of(self, selection_set: SelectionSetNode) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if selection.selection_set is not None and not selection.name.value.startswith(
                    "__"
                ):
                    below, inner = self.of(selection.selection_set)
                    depth = max(depth, below + 1)
                    aliases += inner
            elif isinstance(selection, InlineFragmentNode):
                below, inner = self.of(selection.selection_set)
                depth, aliases = max(depth, below), aliases + inner
            elif isinstance(selection, FragmentSpreadNode):
                below, inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + inner
        return depth, min(aliases, CAP)

    def fragment(self, name: str) -> tuple[int, int]:
        known = self.memo.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return 0, 0
        self.visiting.add(name)
        known = self.memo[name] = self.of(fragment.selection_set)
        self.visiting.discard(name)
        return known


def operation_shapes(document: DocumentNode) -> dict[str | None, Shape]:
    """The shape of every operation of a document, by name."""
    shapes = _ShapeOf(document)
    return {
        (d.name.value if d.name else None): Shape(*shapes.of(d.selection_set))
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }


class _Estimator:
    """Per-instance costs of selection sets; each (fragment, type, page) worked out once."""

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
        self.fragments = _fragments(document)
        self.costs: dict[tuple[str, str, bool], tuple[int, int]] = {}
        self.dearest_of: dict[str, int] = {}
        self.visiting: set[tuple[str, str, bool]] = set()
        #: Selections visited: the work done, which tests hold to be linear in the document.
        self.visits = 0
        link_type = schema.get_type(LINK)
        assert isinstance(link_type, GraphQLObjectType)
        self.link_type = link_type

    def page(self, node: FieldNode) -> int:
        """The page a connection can fill: `first` or `last` (a backward page is as long as a
        forward one), the larger when both are given, else the default page."""
        sizes: list[int] = []
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and value >= 0:
                sizes.append(min(value, self.pricing.max_page))
        return max(sizes) if sizes else self.pricing.default_page

    def cost(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        own_level_only: bool = False,
    ) -> tuple[int, int]:
        """The cost of one instance of `parent` with this selection, as (fixed, per item of
        the page): the second part is multiplied by the page's length when `parent` is a
        connection (else it is 0), so a fragment is priced once whatever pages it is spread
        under. `own_level_only` leaves out a link's nested links (priced by the tree)."""
        fixed = per_item = 0
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, InlineFragmentNode):
                more, items = self.cost(parent, selection.selection_set, own_level_only)
            elif isinstance(selection, FragmentSpreadNode):
                more, items = self.fragment_cost(selection.name.value, parent, own_level_only)
            elif isinstance(selection, FieldNode):
                if own_level_only and selection.name.value == NEXT:
                    continue
                more, items = self.field_cost(parent, selection)
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            fixed, per_item = min(fixed + more, CAP), min(per_item + items, CAP)
        return fixed, per_item

    def total(self, parent: GraphQLObjectType, selection_set: SelectionSetNode, page: int) -> int:
        fixed, per_item = self.cost(parent, selection_set)
        return min(fixed + page * per_item, CAP)

    def fragment_cost(
        self, name: str, parent: GraphQLObjectType, own_level_only: bool
    ) -> tuple[int, int]:
        key = (name, parent.name, own_level_only)
        known = self.costs.get(key)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or key in self.visiting:
            return 0, 0
        self.visiting.add(key)
        known = self.costs[key] = self.cost(parent, fragment.selection_set, own_level_only)
        self.visiting.discard(key)
        return known

    def field_cost(self, parent: GraphQLObjectType, node: FieldNode) -> tuple[int, int]:
        field = parent.fields.get(node.name.value)
        if field is None:
            return 1, 0
        graphql_type: Any = field.type
        is_list = False
        while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
            is_list = is_list or isinstance(graphql_type, GraphQLList)
            graphql_type = graphql_type.of_type
        named: GraphQLNamedType = get_named_type(graphql_type)
        if node.selection_set is None:
            # A list of leaves (codes, times, refs) is priced as one value: their number is
            # small next to the objects that hold them, and MAX_RESPONSE_BYTES bounds the rest.
            return leaf_weight(node.name.value, named.name), 0
        if is_list and named.name == LINK:
            # However the links are nested (or flat), a tree holds at most tree_size of
            # them: price every one of them at the dearest level's selection.
            return min(1 + self.pricing.tree_size * self.dearest(node.selection_set), CAP), 0
        page = self.page(node) if named.name.endswith("Connection") else 0
        possible = self.schema.get_possible_types(named) if is_abstract_type(named) else [named]
        below = 0
        for object_type in possible:
            if isinstance(object_type, GraphQLObjectType):
                below += self.total(object_type, node.selection_set, page)
        if is_list and node.name.value in {"edges", "nodes"} and parent.name.endswith("Connection"):
            return 1, min(below, CAP)  # one per item of the connection's page
        count = bound_of(field) if is_list else 1
        return min(1 + count * below, CAP), 0

    def dearest(self, selection_set: SelectionSetNode) -> int:
        """The largest cost of one link's own fields over the nested levels of a selection."""
        return max(
            self.cost(self.link_type, selection_set, own_level_only=True)[0],
            self.dearest_below(selection_set),
        )

    def dearest_below(self, selection_set: SelectionSetNode) -> int:
        """The dearest level among the nested links of a link selection."""
        dearest = 0
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                if selection.name.value == NEXT and selection.selection_set is not None:
                    dearest = max(dearest, self.dearest(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                dearest = max(dearest, self.dearest_below(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                dearest = max(dearest, self.fragment_dearest_below(selection.name.value))
        return dearest

    def fragment_dearest_below(self, name: str) -> int:
        known = self.dearest_of.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or ("", name, False) in self.visiting:
            return 0
        self.visiting.add(("", name, False))
        known = self.dearest_of[name] = self.dearest_below(fragment.selection_set)
        self.visiting.discard(("", name, False))
        return known


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    pricing: Pricing,
) -> int:
    """The cost of the operation that would run (0 when there is none to run)."""
    return _estimate(schema, document, operation_name, variables, pricing)[0]


def _estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    pricing: Pricing,
) -> tuple[int, int]:
    """The cost, and the selections visited to work it out."""
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if not operations:
        return 0, 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0, 0
    # A variable's default is its value when the request leaves it out.
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    estimator = _Estimator(schema, document, values, pricing)
    cost = estimator.total(root, operation.selection_set, 0)
    return min(cost, CAP), estimator.visits


def page_variables(document: DocumentNode) -> tuple[str, ...]:
    """Names of the variables given as `first` or `last` anywhere in the document: the only
    variables whose values change a cost (so a cost can be remembered by their values alone)."""
    names: set[str] = set()
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value in PAGE_ARGUMENTS and isinstance(
                    argument.value, VariableNode
                ):
                    names.add(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return tuple(sorted(names))
