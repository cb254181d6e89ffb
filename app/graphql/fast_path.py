"""A compiled execution path for whole trees, plugged into graphql-core as an executor class.

Reading a 25-level tree means completing ~22,000 fields over objects already in memory;
graphql-core spends most of that time on per-field machinery (resolve info, awaitable checks,
paths). Here, when a `LinkedServiceJobs` object is completed, its selection set is compiled
once per request and level into plain Python steps (fields collected by graphql-core itself,
so aliases, fragments and @skip/@include follow the spec), then walked.

The fast path only ever produces a result when everything is clean: an unsupported field (an
abstract type, @defer, an async resolver without an in-memory answer), a value that does not
serialise, or a null in a non-null position makes it step aside, and graphql-core completes the
same value the ordinary way, errors and all. A differential test suite
(tests/api/test_fast_path.py) requires identical responses from both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any

from graphql import (
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Node,
    Undefined,
    VariableNode,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.types import base_scalars
from strawberry.types.field import StrawberryField

from app.domain.localized import resolve_text
from app.graphql.common.lru import MAX_CACHED_TEXT, Lru
from app.graphql.response_budget import BudgetedExecutor

#: Object types whose completion goes through the compiled walk.
ROOTS = frozenset({"LinkedServiceJobs"})
BACKREF = "strawberry-definition"

Getter = Callable[[Any], Any]
Completer = Callable[[Any], Any]


class StepAside(Exception):
    """The fast path cannot produce this value exactly; graphql-core will."""


def _localized(
    attribute: str, context: Any, args: Mapping[str, Any], required: bool = False
) -> Getter:
    """A localized text in the caller's locales; "" for a missing required one."""
    locale = args.get("locale")
    preferred = context.preferred_locales
    if locale is not None:
        preferred = (getattr(locale, "name", locale), *preferred)
    read = attrgetter(attribute)

    def get(obj: Any) -> Any:
        return resolve_text(read(obj), preferred)

    def get_required(obj: Any) -> Any:
        return resolve_text(read(obj), preferred) or ""

    return get_required if required else get


def _line_items(context: Any, args: Mapping[str, Any]) -> Getter:
    """The driver rows themselves: LineItem's fields are named like the row's columns, and
    its article is the stored JSON object (see _json_or_attribute)."""

    def get(obj: Any) -> Any:
        if obj._line_item_rows is None:
            raise StepAside
        return obj._line_item_rows

    return get


def _json_or_attribute(key: str, attribute: str) -> Callable[[Any, Mapping[str, Any]], Getter]:
    """A field read from a stored JSON object or from the GraphQL object made of it."""

    def make(context: Any, args: Mapping[str, Any]) -> Getter:
        read = attrgetter(attribute)

        def get(obj: Any) -> Any:
            return obj.get(key) if isinstance(obj, dict) else read(obj)

        get.json_key = key  # type: ignore[attr-defined]  # the generated walk inlines it
        return get

    return make


def _inherited_line_items(context: Any, args: Mapping[str, Any]) -> Getter:
    def get(obj: Any) -> Any:
        if obj._snapshot is None:
            raise StepAside
        return obj.inherited_in(obj._snapshot)

    return get


#: Resolvers with an in-memory answer, by (type, field): build a getter for the arguments.
RESOLVERS: dict[tuple[str, str], Callable[[Any, Mapping[str, Any]], Getter]] = {
    ("ServiceJob", "name"): lambda c, a: _localized("name_localized", c, a, required=True),
    ("ServiceJob", "description"): lambda c, a: _localized("description_localized", c, a),
    ("ServiceJob", "lineItems"): _line_items,
    ("ServiceJob", "inheritedLineItems"): _inherited_line_items,
    ("ServiceJobAdditionalInformation", "name"): lambda c, a: _localized(
        "name_localized", c, a, required=True
    ),
    ("Article", "tenantArticleId"): _json_or_attribute("tenantArticleId", "tenant_article_id"),
    ("Article", "title"): _json_or_attribute("title", "title"),
    ("Article", "imageUrl"): _json_or_attribute("imageUrl", "image_url"),
    ("Article", "attributes"): lambda c, a: (
        lambda obj: obj.get("attributes") or [] if isinstance(obj, dict) else obj.attributes
    ),
    ("ArticleAttribute", "key"): _json_or_attribute("key", "key"),
    ("ArticleAttribute", "value"): _json_or_attribute("value", "value"),
    ("ArticleAttribute", "category"): _json_or_attribute("category", "category"),
    ("ArticleAttribute", "priority"): _json_or_attribute("priority", "priority"),
}


class TreeExecutor(BudgetedExecutor):
    """graphql-core's executor (with the response budget) and the compiled walk for tree
    roots."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], tuple[FieldDetailsList, Getter | None]] = {}

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if return_type.name in ROOTS:
            plan = self._root_plan(return_type, field_details_list, path)
            if plan is not None:
                try:
                    return plan(result)
                except StepAside:
                    pass
                except Exception:
                    pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _root_plan(
        self, object_type: GraphQLObjectType, fields: FieldDetailsList, path: Path
    ) -> Getter | None:
        """The compiled walk of a root, shared by every request with the same query text,
        operation, position, values of the variables used beneath it and caller locales."""
        query = getattr(self.context_value, "query_text", None)
        if not query:
            return self._plan(object_type, fields)
        position = tuple(key for key in path.as_list() if isinstance(key, str))
        operation = self.operation.name.value if self.operation.name else None
        names_key = (query, operation, position)
        names = _VARIABLES_USED.get(names_key)
        if names is None:
            names = _variables_in(fields, self.fragments)
            _VARIABLES_USED.put(names_key, names)
        coerced = self.variable_values.coerced
        key = (
            names_key,
            tuple((name, repr(coerced.get(name))) for name in names),
            getattr(self.context_value, "preferred_locales", ()),
        )
        if key in _PLANS:
            return _PLANS[key]
        plan = self._plan(object_type, fields)
        _PLANS.put(key, plan)
        return plan

    def _plan(self, object_type: GraphQLObjectType, fields: FieldDetailsList) -> Getter | None:
        key = (object_type.name, id(fields))
        cached = self._plans.get(key)
        if cached is None:
            cached = (fields, self._compile(object_type, fields))
            self._plans[key] = cached
        return cached[1]

    def _compile(self, object_type: GraphQLObjectType, fields: FieldDetailsList) -> Getter | None:
        if object_type.is_type_of is not None:
            return None
        grouped, new_defer_usages, forbidden = self.collect_subfields(object_type, fields)
        if new_defer_usages or forbidden:
            return None
        steps: list[Step] = []
        for response_key, details in grouped.items():
            first = details[0]
            name = first.node.name.value
            if name == "__typename":
                type_name = object_type.name
                steps.append(Step(response_key, _constant(type_name), _identity))
                continue
            field_def = object_type.fields[name]
            args = (
                get_argument_values(
                    field_def,
                    first.node,
                    self.variable_values,
                    first.fragment_variable_values,
                    self.hide_suggestions,
                )
                if field_def.args or first.node.arguments
                else {}
            )
            getter = self._getter(object_type.name, name, field_def.extensions.get(BACKREF), args)
            if getter is None:
                return None
            attribute = (
                field_def.extensions[BACKREF].python_name
                if isinstance(getter, attrgetter)
                else None
            )
            objects = self._object_plans(field_def.type, details)
            if objects is not None:
                steps.append(Step(response_key, getter, _identity, attribute, objects))
                continue
            completer = self._completer(field_def.type, details)
            if completer is None:
                return None
            steps.append(Step(response_key, getter, completer, attribute))

        return _generate(steps)

    def _object_plans(
        self, graphql_type: GraphQLOutputType, fields: FieldDetailsList
    ) -> ObjectShape | None:
        """How an object or a list of non-null objects is completed, when it is one: the
        generated walk then calls the object's plan inline instead of through completers."""
        non_null = isinstance(graphql_type, GraphQLNonNull)
        inner = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
        is_list = isinstance(inner, GraphQLList)
        if is_list:
            assert isinstance(inner, GraphQLList)
            if not isinstance(inner.of_type, GraphQLNonNull):
                return None
            inner = inner.of_type.of_type
        if not isinstance(inner, GraphQLObjectType):
            return None
        plan = self._plan(inner, fields)
        return None if plan is None else ObjectShape(plan, non_null, is_list)

    def _getter(
        self, type_name: str, field_name: str, field: Any, args: Mapping[str, Any]
    ) -> Getter | None:
        special = RESOLVERS.get((type_name, field_name))
        if special is not None:
            return special(self.context_value, args)
        if not isinstance(field, StrawberryField):
            return None
        resolver = field.base_resolver
        if resolver is None:
            return attrgetter(field.python_name)
        if (
            resolver.is_async
            or resolver.arguments
            or resolver.info_parameter is not None
            or resolver.root_parameter is not None
        ):
            return None
        # A plain method of the object (self only): call it directly.
        method = resolver.wrapped_func
        return method if callable(method) else None

    def _completer(
        self, graphql_type: GraphQLOutputType, fields: FieldDetailsList
    ) -> Completer | None:
        if isinstance(graphql_type, GraphQLNonNull):
            if is_leaf_type(graphql_type.of_type):
                return _leaf(graphql_type.of_type, nullable=False)
            inner = self._completer(graphql_type.of_type, fields)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                completed = inner(value)
                if completed is None:
                    raise StepAside
                return completed

            return non_null
        if isinstance(graphql_type, GraphQLList):
            item = self._completer(graphql_type.of_type, fields)
            if item is None:
                return None
            return lambda value: None if value is None else [item(v) for v in value]
        if is_leaf_type(graphql_type):
            return _leaf(graphql_type)
        if isinstance(graphql_type, GraphQLObjectType):
            # Compiled now, not on first use: the closures must not hold the executor (a
            # reference cycle would keep every request's objects alive until a full GC).
            plan = self._plan(graphql_type, fields)
            if plan is None:
                return None
            return lambda value: None if value is None else plan(value)
        return None


@dataclass(frozen=True, slots=True)
class ObjectShape:
    """A field whose value is an object, or a list of non-null objects, with its plan."""

    plan: Getter
    non_null: bool
    is_list: bool


@dataclass(frozen=True, slots=True)
class Step:
    """One response key: how to read the value and how to complete it."""

    key: str
    getter: Getter
    completer: Completer
    attribute: str | None = None
    objects: ObjectShape | None = None


def _step_aside() -> Any:
    raise StepAside


def _generate(steps: list[Step]) -> Getter:
    """One Python function per selection set, generated and compiled: a dict display with a
    plain attribute read where the getter is one, and built-in scalars passed through inline.
    Response keys are GraphQL names (the parser admits only [_A-Za-z][_0-9A-Za-z]*) embedded
    with repr; attribute names are used only when they are Python identifiers."""
    namespace: dict[str, Any] = {"aside": _step_aside}
    entries: list[str] = []
    for index, step in enumerate(steps):
        attribute = step.attribute
        read = f"o.{attribute}" if attribute and attribute.isidentifier() else f"g{index}(o)"
        json_key = getattr(step.getter, "json_key", None)
        if json_key is not None:
            read = f"(o.get({json_key!r}) if type(o) is dict else g{index}(o))"
        namespace[f"g{index}"] = step.getter
        namespace[f"c{index}"] = step.completer
        inline = getattr(step.completer, "pass_through", None)
        key = repr(step.key)
        if step.objects is not None:
            shape = step.objects
            namespace[f"p{index}"] = shape.plan
            done = (
                f"[p{index}(x) if x is not None else aside() for x in v]"
                if shape.is_list
                else f"p{index}(v)"
            )
            missing = "aside()" if shape.non_null else "None"
            entries.append(f"{key}: ({done} if (v := {read}) is not None else {missing}),")
        elif inline == "int":
            entries.append(
                f"{key}: (v if type(v := {read}) is int and {_INT_MIN} <= v <= {_INT_MAX} "
                f"else c{index}(v)),"
            )
        elif inline is not None:
            entries.append(f"{key}: (v if type(v := {read}) is {inline} else c{index}(v)),")
        elif (serializer := getattr(step.completer, "serializer", None)) is not None:
            namespace[f"s{index}"] = serializer
            missing = "None" if step.completer.nullable else "aside()"  # type: ignore[attr-defined]
            entries.append(f"{key}: (s{index}(v) if (v := {read}) is not None else {missing}),")
        else:
            entries.append(f"{key}: c{index}({read}),")
    source = "def run(o):\n    return {\n        " + "\n        ".join(entries) + "\n    }\n"
    exec(compile(source, "<tree walk>", "exec"), namespace)
    run: Getter = namespace["run"]
    return run


def _identity(value: Any) -> Any:
    return value


def _constant(value: Any) -> Getter:
    return lambda _obj: value


#: Built-in scalars whose serialisation returns a value of this Python type unchanged (the
#: exact checks graphql-core makes first); anything else goes through coerce_output_value.
_PASS_THROUGH: Mapping[str, type] = {"String": str, "ID": str, "Int": int, "Boolean": bool}


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

#: Strawberry's serialiser of Date, DateTime and Time (a methodcaller of isoformat).
_ISOFORMAT = base_scalars.isoformat


def _fits_int32(value: Any) -> bool:
    return bool(_INT_MIN <= value <= _INT_MAX)


def _leaf(leaf_type: GraphQLLeafType, nullable: bool = True) -> Completer:
    coerce = leaf_type.coerce_output_value
    same = _PASS_THROUGH.get(leaf_type.name)

    def complete(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise StepAside
        if type(value) is same and (same is not int or _fits_int32(value)):
            return value
        coerced = coerce(value)
        if coerced is Undefined or coerced is None:
            raise StepAside
        return coerced

    if same is not None:
        # The generated walk checks the type (and an Int's range) inline and calls this only
        # otherwise.
        complete.pass_through = same.__name__  # type: ignore[attr-defined]
    elif coerce is _ISOFORMAT:
        # Date, DateTime, Time: the generated walk calls the serialiser inline (it never
        # returns None; an exception makes the walk step aside, and graphql-core reports it).
        complete.serializer = coerce  # type: ignore[attr-defined]
        complete.nullable = nullable  # type: ignore[attr-defined]
    if isinstance(leaf_type, GraphQLEnumType):
        return _remembered(complete)
    return complete


#: An enum has few values: more distinct ones than this means something else is going on.
_MAX_REMEMBERED = 64


def _remembered(complete: Completer) -> Completer:
    """An enum leaf's completion remembered per Python enum member: serialising one is a
    pure function of it, and a tree completes the same few statuses a thousand times. Keyed
    by identity (hashing an Enum runs Python code); each entry keeps its member, so the id
    can never be reused by another object. Anything else is completed as usual."""
    seen: dict[int, tuple[Enum, Any]] = {}

    def complete_enum(value: Any) -> Any:
        if not isinstance(value, Enum):
            return complete(value)
        found = seen.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        completed = complete(value)
        if len(seen) < _MAX_REMEMBERED:
            seen[id(value)] = (value, completed)
        return completed

    return complete_enum


#: Compiled root walks and the variables each root's selection uses, across requests.
_PLANS: Lru[Any, Getter | None] = Lru(256, MAX_CACHED_TEXT)
_VARIABLES_USED: Lru[tuple[str, str | None, tuple[str, ...]], tuple[str, ...]] = Lru(
    256, MAX_CACHED_TEXT
)


def _variables_in(fields: FieldDetailsList, fragments: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the variables used anywhere beneath these field nodes (arguments and
    directives, through fragments): only their values change what the walk does. The root
    field's own arguments and directives are not beneath it (they chose the object the walk
    starts from), so a tree's id does not make a walk of its own."""
    names: set[str] = set()
    seen_fragments: set[str] = set()
    stack: list[Any] = [
        detail.node.selection_set for detail in fields if detail.node.selection_set is not None
    ]
    while stack:
        node = stack.pop()
        if isinstance(node, VariableNode):
            names.add(node.name.value)
            continue
        if isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name not in seen_fragments and name in fragments:
                seen_fragments.add(name)
                fragment = fragments[name]
                stack.append(getattr(fragment, "definition", fragment))
        if isinstance(node, Node):
            for key in node.keys:
                value = getattr(node, key, None)
                if isinstance(value, Node):
                    stack.append(value)
                elif isinstance(value, tuple | list):
                    stack.extend(v for v in value if isinstance(v, Node))
    return tuple(sorted(names))
