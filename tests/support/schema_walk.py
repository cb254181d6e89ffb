"""Walks the live GraphQL schema, for tests that must cover all of it rather than a hand-written
list: the root fields of each operation type, the ID "slots" of their arguments, and selections
of every field path below a type up to a depth, packed into as few operations as the API's own
limits (query cost, tokens) allow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    parse,
)
from graphql.pyutils import Undefined

from app.graphql.cost import Pricing, estimate_cost
from app.settings import Settings

#: The variable every ID argument of a nested field is bound to (see `selection`).
PROBE = "probe"


class UnsupportedArgument(AssertionError):
    """A nested field takes a required argument the walker has no value for: extend the walker
    (and the tests using it) before the new field can be covered."""


@dataclass(frozen=True, slots=True)
class Selected:
    """One field of a selection: `name(arguments) { children }`."""

    name: str
    arguments: str = ""
    children: tuple[Selected, ...] = ()
    #: For a field of an abstract type: `... on Type` fragments instead of plain children.
    type_condition: str | None = None

    def render(self) -> str:
        if self.type_condition is not None:
            return f"... on {self.type_condition} {{ {render(self.children)} }}"
        if not self.children:
            return f"{self.name}{self.arguments}"
        return f"{self.name}{self.arguments} {{ {render(self.children)} }}"

    def paths(self) -> int:
        """How many leaf paths this field selects."""
        return sum(c.paths() for c in self.children) if self.children else 1


def render(selection: tuple[Selected, ...]) -> str:
    return " ".join(s.render() for s in selection)


def uses_probe(selection: tuple[Selected, ...]) -> bool:
    return any(f"${PROBE}" in s.arguments or uses_probe(s.children) for s in selection)


def root_fields(schema: GraphQLSchema, operation: str) -> dict[str, GraphQLField]:
    """The fields of the Query, Mutation or Subscription type; empty when there is none."""
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation]
    return dict(root.fields) if root is not None else {}


def unwrap(graphql_type: GraphQLType) -> GraphQLNamedType:
    return get_named_type(graphql_type)


def is_id(graphql_type: GraphQLType) -> bool:
    return unwrap(graphql_type).name == "ID"


# ID slots of root arguments


@dataclass(frozen=True, slots=True)
class IdSlot:
    """Where an ID goes in a root field's arguments: `("filter", "entityId")` is
    `filter: {entityId: <id>}`. `is_list` slots take a list of ids."""

    path: tuple[str, ...]
    is_list: bool

    def fill(self, arguments: Mapping[str, Any], ident: str) -> dict[str, Any]:
        """`arguments` with this slot set to `ident` (nested inputs are copied)."""
        value: Any = [ident] if self.is_list else ident
        for key in reversed(self.path[1:]):
            value = {key: value}
        head = self.path[0]
        merged = dict(arguments)
        if len(self.path) > 1 and isinstance(merged.get(head), Mapping):
            inner = dict(merged[head])
            inner.update(value)
            value = inner
        merged[head] = value
        return merged

    def __str__(self) -> str:
        return ".".join(self.path) + ("[]" if self.is_list else "")


def id_slots(arguments: Mapping[str, GraphQLArgument], max_depth: int = 3) -> list[IdSlot]:
    """Every argument, or field of an input object argument, that takes an ID."""
    found: list[IdSlot] = []

    def walk(name_path: tuple[str, ...], graphql_type: GraphQLInputType, depth: int) -> None:
        named = unwrap(graphql_type)
        if named.name == "ID":
            inner = graphql_type.of_type if is_non_null_type(graphql_type) else graphql_type
            found.append(IdSlot(name_path, is_list_type(inner)))
        elif isinstance(named, GraphQLInputObjectType) and depth < max_depth:
            for field_name, input_field in named.fields.items():
                walk((*name_path, field_name), input_field.type, depth + 1)

    for name, argument in arguments.items():
        walk((name,), argument.type, 0)
    return found


def variable_definitions(field: GraphQLField, given: Mapping[str, Any]) -> tuple[str, str]:
    """`($a: T, …)` and `(a: $a, …)` for the arguments given (absent ones keep defaults)."""
    names = [name for name in field.args if name in given]
    if not names:
        return "", ""
    declared = ", ".join(f"${n}: {field.args[n].type}" for n in names)
    passed = ", ".join(f"{n}: ${n}" for n in names)
    return declared, f"({passed})"


# selections


@dataclass(frozen=True, slots=True)
class Walk:
    """How far `selection` goes: `max_depth` object levels below the starting type, entering a
    type at most `max_visits` times on one path. Fields taking an ID are selected only when
    `probe_ids` (their IDs bound to `$probe`)."""

    max_depth: int = 4
    max_visits: int = 2
    probe_ids: bool = False


def selection(schema: GraphQLSchema, type_name: str, walk: Walk = Walk()) -> tuple[Selected, ...]:
    """Every leaf of `type_name` and of the object types reachable from it within `walk`.
    Optional arguments are left out; ID arguments (required or not) are bound to `$probe`
    (or, without `walk.probe_ids`, their fields left out); any other required argument raises
    UnsupportedArgument."""
    start = schema.get_type(type_name)
    assert isinstance(start, GraphQLObjectType), type_name

    def arguments_of(owner: str, name: str, field: GraphQLField) -> str | None:
        """The arguments to select `field` with; None to leave it out."""
        bound: list[str] = []
        for arg_name, argument in field.args.items():
            if is_id(argument.type):
                if not walk.probe_ids:
                    return None
                inner = argument.type.of_type if is_non_null_type(argument.type) else argument.type
                value = f"[${PROBE}]" if is_list_type(inner) else f"${PROBE}"
                bound.append(f"{arg_name}: {value}")
            elif is_non_null_type(argument.type) and argument.default_value is Undefined:
                raise UnsupportedArgument(
                    f"{owner}.{name}({arg_name}: {argument.type}) needs a value: teach "
                    "tests/support/schema_walk.py one."
                )
        return f"({', '.join(bound)})" if bound else ""

    def fields_of(
        object_type: GraphQLObjectType, depth: int, visits: Mapping[str, int]
    ) -> tuple[Selected, ...]:
        chosen: list[Selected] = []
        for name, field in object_type.fields.items():
            named = unwrap(field.type)
            arguments = arguments_of(object_type.name, name, field)
            if arguments is None:
                continue
            if is_leaf_type(named):
                chosen.append(Selected(name, arguments))
                continue
            if depth >= walk.max_depth:
                continue
            targets = list(schema.get_possible_types(named)) if is_abstract_type(named) else [named]
            parts: list[Selected] = []
            for target in targets:
                assert isinstance(target, GraphQLObjectType)
                count = visits.get(target.name, 0) + 1
                if count > walk.max_visits:
                    continue
                children = fields_of(target, depth + 1, {**visits, target.name: count})
                if children:
                    parts.append(
                        Selected(target.name, children=children, type_condition=target.name)
                        if is_abstract_type(named)
                        else Selected(name, arguments, children)
                    )
            if is_abstract_type(named) and parts:
                chosen.append(Selected(name, arguments, (Selected("__typename"), *parts)))
            elif parts:
                chosen.append(parts[0])
        return tuple(chosen)

    return fields_of(start, 0, {start.name: 1})


# packing selections into operations the API accepts


class Limits:
    """The API's own limits on one operation that generated selections can reach: tokens, and
    the query cost by the API's own estimator. (Depth and aliases stay far below theirs here;
    were one passed, the answer's errors would say so.)"""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.pricing = Pricing(
            default_page=settings.default_page_size,
            max_page=settings.max_page_size,
            tree_size=settings.max_jobs_per_tree,
        )

    def accepts(self, document: str, variables: Mapping[str, Any]) -> bool:
        try:
            parsed = parse(document, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return False
        cost = estimate_cost(self.schema, parsed, None, variables, self.pricing)
        return cost <= self.settings.max_query_cost


def pack(
    selection_: tuple[Selected, ...],
    fits: Callable[[tuple[Selected, ...]], bool],
    refused: list[tuple[Selected, ...]] | None = None,
) -> list[tuple[Selected, ...]]:
    """Split `selection_` into parts that each `fits`, together selecting every leaf path the
    API accepts at all: whole subtrees while they fit, a subtree's own children when it does
    not. A leaf that does not fit even alone is a path no client can run; it goes to `refused`
    (innermost field last) instead."""
    if fits(selection_):
        return [selection_]
    parts: list[tuple[Selected, ...]] = []
    current: tuple[Selected, ...] = ()
    for field in selection_:
        if fits((*current, field)):
            current = (*current, field)
            continue
        if current:
            parts.append(current)
            current = ()
        if fits((field,)):
            current = (field,)
        elif not field.children:
            if refused is not None:
                refused.append((field,))
        else:

            def fits_within(inner: tuple[Selected, ...], outer: Selected = field) -> bool:
                return fits((replace(outer, children=inner),))

            inner_refused: list[tuple[Selected, ...]] = []
            pieces = pack(field.children, fits_within, inner_refused)
            parts.extend((replace(field, children=piece),) for piece in pieces)
            if refused is not None:
                refused.extend((field, *path) for path in inner_refused)
    if current:
        parts.append(current)
    return parts
