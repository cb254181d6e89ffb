"""The compiled read path, plugged into graphql-core as an executor class.

graphql-core completes every field of a response through its per-field machinery (resolve
info, awaitable checks, paths, a DataLoader future per object): for a 100-job page that is
most of the request. Here a query's root field that declares its read (`reads(root=...)` in
its metadata, app/graphql/read_path/sources.py) is planned once per document, operation,
position and the values of the variables used beneath it: its selection is compiled into one
generated Python function per selection set (fields collected by graphql-core itself, so
aliases, fragments, @skip/@include and __typename follow the spec) and a list of batched
relations. Executing it reads the root's rows (only the columns the document reads), fetches
each relation for every parent of a level in one statement, and runs the walk. Trees read
whole (`LinkedServiceJobs`) are completed by the same compiler wherever graphql-core meets
them: their line items are in memory already, and the relations beneath them they do not
hold (their jobs' appointments, service data) are fetched for the whole tree first. A job's
tree and link, an order's trees (`tree_parts`) are completed as in a tree.

What the walk steps aside from, to graphql-core, by design (it cannot answer them exactly):
- at planning: an abstract type, @defer/@stream, a field whose source says graphql-core
  resolves it (none does today), an async resolver or a resolver taking info without a
  source, and a root field with permission classes or field extensions (counted as
  `graphql_core`);
- at execution: any error or null in a non-null position (graphql-core reports them, with
  their paths), a non-null root that reads nothing, and a result near the response budget
  (graphql-core keeps the exact tally), counted as `field_error`.
Anything else the compiled path raises is a bug: it is logged with the request id, counted as
`failure` (in /metrics as jobtree_read_path_total{outcome="failure"}), and graphql-core
answers; the test suite fails on any failure. A differential suite
(tests/api/test_fast_path.py, tests/api/test_read_path.py) requires identical responses from
both paths.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path
from strawberry.schema.types import base_scalars
from strawberry.types.field import StrawberryField

from app.graphql.common.scalars import SERIALIZE_DATETIME
from app.graphql.read_path.arguments import ArgumentConverter
from app.graphql.read_path.sources import (
    BACKREF,
    Getter,
    Relation,
    RootRead,
    StepAside,
    is_read_whole,
    source_of,
)
from app.graphql.response_budget import BudgetedExecutor, ResponseTooLarge
from app.lru import MAX_CACHED_TEXT, Lru
from app.metrics import record_read_path

Completer = Callable[[Any], Any]

log = logging.getLogger("app.graphql.read_path")

#: How often each outcome happened in this process (also counted in /metrics); the tests
#: require `failure` to stay at 0.
OUTCOMES: Counter[str] = Counter()


def _record(outcome: str) -> None:
    OUTCOMES[outcome] += 1
    record_read_path(outcome)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A selection set's compiled walk, and what must be fetched before it runs; `many`: the
    walk of a root field's list, whose items are the parents of the fetches."""

    run: Getter
    fetches: tuple[Fetch, ...]
    many: bool = False
    #: The fewest bytes one object it completes takes in a list of them (see _least_bytes).
    weight: int = 0
    #: Whether its objects hold single leaves only (no object, no list): a long list of them
    #: is measured exactly once built (_measured).
    flat: bool = False


@dataclass(frozen=True, slots=True)
class Fetch:
    """Work before a level is completed: a batched relation's fetch for every parent of the
    level (`relation`), or a descent through a plain object field (`getter`) to the relations
    beneath it; `child` is the plan of the objects it reaches."""

    relation: Relation | None
    getter: Getter | None
    is_list: bool
    child: Compiled | None
    #: The field it reads (Type.field), for traces.
    name: str = ""


class _WalkRoom:
    """What is left of the response budget while a walk runs (UNBOUNDED: no budget), and
    the budget. A walk runs without awaiting anything, so one per process is enough: it is
    set just before a walk and put back just after."""

    __slots__ = ("left", "limit")

    def __init__(self) -> None:
        self.left = UNBOUNDED
        self.limit = UNBOUNDED


UNBOUNDED = 2**62
_ROOM = _WalkRoom()
#: The fewest bytes one item of a list of leaves takes: a value and a comma.
_LEAF_ITEM_BYTES = 2
#: Leaves given as texts, whose lists are counted by their encoded size.
_TEXT_TYPES = frozenset({"ID", "String"})


def _spent(values: Any, weight: int) -> Any:
    """`values`, a list the walk is about to complete, its least size in bytes taken from
    the room left: a response that must pass the budget stops before it is built (shared
    objects repeated under many parents, such as one tree's service data beneath each job of
    a page, are the same few rows read and a response of hundreds of megabytes)."""
    return _spent_bytes(values, len(values) * weight)


def _spent_texts(values: Any) -> Any:
    """`_spent` for a list of texts (ids, codes): their encoded size, exactly (a tree's
    thousand job ids are forty times the least size of a thousand values)."""
    try:
        # Less the brackets: what holds the list counted a byte of it already (a key's
        # value, a list's item), and the least size must never pass the real one.
        size = len(orjson.dumps(values)) - 2
    except TypeError:  # not only texts: the least size of each
        size = len(values) * _LEAF_ITEM_BYTES
    return _spent_bytes(values, size)


def _spent_bytes(values: Any, size: int) -> Any:
    room = _ROOM
    room.left -= size
    if room.left < 0:
        room.left = UNBOUNDED
        _record("too_large")
        raise ResponseTooLarge(room.limit)
    return values


def _root_size(budget: int | None, spent: int, size: int) -> int | None:
    """A compiled root's share of the response budget: its encoded `size`. Past the budget
    with what the response holds already (`spent`), that is the answer: RESPONSE_TOO_LARGE,
    without building it again through graphql-core. None near it, where the size could
    understate the tally graphql-core keeps (up to 4 times for lists of short leaves):
    graphql-core then completes the root and counts exactly."""
    if budget is None:
        return size
    if spent + size > budget:
        _record("too_large")
        raise ResponseTooLarge(budget)
    return None if spent + 4 * size > budget else size


class Taken:
    """What a walk took from the room: the least size of the lists it completed."""

    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0


#: Lists of flat objects at least this long are measured exactly once built.
MEASURED_FROM = 64


def _measured(completed: list[Any], weight: int) -> list[Any]:
    """A list of flat objects just completed, `weight` each taken from the room already: a
    long one's exact size (less the byte its holder counted) replaces that least size, so a
    response of many small objects of ids stops at the budget, not at several times it.
    Flat objects hold no list, so nothing inside is counted twice."""
    if len(completed) >= MEASURED_FROM:
        more = len(orjson.dumps(completed)) - 1 - len(completed) * weight
        if more > 0:
            _spent_bytes(completed, more)
    return completed


@contextmanager
def walk_room(limit: int | None, spent: int) -> Iterator[Taken]:
    """Walks within this block stop with ResponseTooLarge once the least size of what they
    complete passes `limit` (None: no limit) less what the response has `spent` already;
    what they took is known after the block."""
    before = _ROOM.left, _ROOM.limit
    start = UNBOUNDED if limit is None else limit - spent
    _ROOM.left, _ROOM.limit = start, UNBOUNDED if limit is None else limit
    taken = Taken()
    try:
        yield taken
    finally:
        taken.bytes = max(start - _ROOM.left, 0)
        _ROOM.left, _ROOM.limit = before


def _least_bytes(steps: Sequence[Step]) -> int:
    """The fewest bytes an object of these response keys takes in a list: its braces, each
    key quoted with its colon and a value of at least one byte, the commas between them and
    the one after it in the list. What the walk takes from the room per object."""
    keys = sum(len(step.key) + 4 for step in steps)
    return 2 + keys + max(len(steps) - 1, 0) + 1


async def prefetch(context: Any, fetches: tuple[Fetch, ...], parents: list[Any]) -> None:
    """Each relation fetched once per level for every parent of it (one statement each,
    whatever the number of parents), level after level."""
    for fetch in fetches:
        if not parents:
            return
        if fetch.relation is not None:
            tracer = getattr(context, "tracer", None)
            if tracer is None:
                children = list(await fetch.relation.fetch(context, parents))
            else:
                with tracer.start_as_current_span(
                    f"relation {fetch.name}",
                    attributes={"jobtree.relation": fetch.name, "jobtree.parents": len(parents)},
                ):
                    children = list(await fetch.relation.fetch(context, parents))
        else:
            assert fetch.getter is not None
            children = []
            for parent in parents:
                value = fetch.getter(parent)
                if value is None:
                    continue
                if fetch.is_list:
                    children.extend(v for v in value if v is not None)
                else:
                    children.append(value)
        if fetch.child is not None and fetch.child.fetches:
            await prefetch(context, fetch.child.fetches, children)


def root_read_of(
    query_type: GraphQLObjectType, name: str
) -> tuple[GraphQLField, StrawberryField, RootRead] | None:
    """A root field's definitions and its declared read, when the compiled path may read it
    (a read declared, no permission classes or field extensions)."""
    field_def = query_type.fields.get(name)
    if field_def is None:
        return None
    definition = field_def.extensions.get(BACKREF)
    source = source_of(definition)
    if source is None or source.root is None:
        return None
    assert isinstance(definition, StrawberryField)
    if definition.extensions or definition.permission_classes:
        return None
    return field_def, definition, source.root


def _converter_of(schema: GraphQLSchema) -> ArgumentConverter:
    """The schema's argument converter, made at its first root read."""
    strawberry_schema = schema._strawberry_schema  # type: ignore[attr-defined]
    converter = _CONVERTERS.get(strawberry_schema)
    if converter is None:
        converter = _CONVERTERS[strawberry_schema] = ArgumentConverter(strawberry_schema)
    return converter


#: Each schema's argument converter (app/graphql/read_path/arguments.py).
_CONVERTERS: WeakKeyDictionary[Any, ArgumentConverter] = WeakKeyDictionary()


async def complete_root(
    schema: GraphQLSchema,
    context: Any,
    root: tuple[GraphQLField, StrawberryField, RootRead],
    plan: Compiled,
    args: dict[str, Any],
    budget: int | None,
    spent: Callable[[], int],
) -> Any:
    """A root field read, fetched level by level and completed by its compiled walk (raises
    StepAside for a null in a non-null position, ResponseTooLarge when what it completes
    must pass the `budget` with what the response has `spent`)."""
    field_def, definition, read = root
    arguments = _converter_of(schema).convert(definition, args)
    value = await read.read(context, arguments)
    if value is None:
        if isinstance(field_def.type, GraphQLNonNull):
            raise StepAside
        return None
    parents = [item for item in value if item is not None] if plan.many else [value]
    await prefetch(context, plan.fetches, parents)
    with walk_room(budget, spent()):
        return plan.run(value)


class ReadPathExecutor(BudgetedExecutor):
    """graphql-core's executor (with the response budget) and the compiled read path: root
    query fields that declare a read are read, fetched level by level and completed by a
    compiled walk; so are objects read whole (`read_whole` types) wherever they are met.
    What the walk cannot answer exactly (module doc) goes to graphql-core."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int, bool], tuple[FieldDetailsList, Compiled | None]] = {}

    # Root fields ---------------------------------------------------------------------------

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if path.prev is None and parent_type is self.schema.query_type:
            root = self._root_read(parent_type, field_details_list)
            if root is not None:
                plan = self._root_plan(parent_type, field_details_list, path, in_tree=False)
                if plan is not None:
                    return self._read_root(
                        root, plan, parent_type, source, field_details_list, path, position_context
                    )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _root_read(
        self, parent_type: GraphQLObjectType, fields: FieldDetailsList
    ) -> tuple[GraphQLField, StrawberryField, RootRead] | None:
        return root_read_of(parent_type, fields[0].node.name.value)

    async def _read_root(
        self,
        root: tuple[GraphQLField, StrawberryField, RootRead],
        plan: Compiled,
        parent_type: GraphQLObjectType,
        source: Any,
        fields: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        failed: Exception | None = None
        try:
            completed = await self._complete_root(root, plan, fields)
        except StepAside:
            _record("stepped_aside")
        except ResponseTooLarge:
            raise  # the operation's answer: graphql-core would only build it again
        except Exception as error:
            failed = error
        else:
            _record("compiled")
            return completed
        try:
            result = super().execute_field(parent_type, source, fields, path, position_context)
            if self.is_awaitable(result):
                result = await result
        except Exception:
            if failed is not None:
                _record("field_error")
            raise
        if failed is not None:
            self._judge(failed, path)
        return result

    def _judge(self, error: Exception, path: Path) -> None:
        """After graphql-core answered what the compiled path raised on: a field error when
        graphql-core reported an error beneath the same position too (a resolver's or a
        value's own failure, which graphql-core reports with its path), else a failure of the
        compiled path (a bug: logged, counted, and the tests fail)."""
        where = path.as_list()
        for reported in self.collected_errors.errors:
            if reported.path is not None and list(reported.path[: len(where)]) == where:
                _record("field_error")
                return
        log.error(
            "the compiled read path failed where graphql-core did not; graphql-core answered "
            "request_id=%s path=%s",
            getattr(self.context_value, "request_id", "-"),
            ".".join(map(str, where)),
            exc_info=error,
        )
        _record("failure")

    async def _complete_root(
        self,
        root: tuple[GraphQLField, StrawberryField, RootRead],
        plan: Compiled,
        fields: FieldDetailsList,
    ) -> Any:
        args = self._argument_values(root[0], fields[0])
        completed = await complete_root(
            self.schema,
            self.context_value,
            root,
            plan,
            args,
            self.response_budget,
            lambda: self.response_bytes,  # when the walk starts: roots run side by side
        )
        self._spend(completed)
        return completed

    def _spend(self, completed: Any) -> None:
        """The walk's share of the response budget (_root_size): near it, graphql-core
        completes the field instead."""
        size = _root_size(self.response_budget, self.response_bytes, len(orjson.dumps(completed)))
        if size is None:
            raise StepAside
        self.response_bytes += size

    # Tree roots, wherever graphql-core meets them ------------------------------------------

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if is_read_whole(return_type):
            plan = self._root_plan(return_type, field_details_list, path, in_tree=True)
            if plan is not None and plan.fetches:
                return self._complete_fetched(
                    plan, return_type, field_details_list, info, path, result, position_context
                )
            if plan is not None:
                return self._walked(
                    plan, return_type, field_details_list, info, path, result, position_context
                )
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _walked(
        self,
        plan: Compiled,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """An object read whole completed by its walk; by graphql-core when the walk steps
        aside, or fails (then judged)."""
        try:
            with walk_room(self.response_budget, self.response_bytes) as taken:
                completed = plan.run(result)
            # Counted as graphql-core counts what it completes: objects walked one by one
            # beneath a list graphql-core completes share the budget.
            self.response_bytes += taken.bytes
        except StepAside:
            _record("stepped_aside")
        except ResponseTooLarge:
            raise
        except Exception as error:
            return self._complete_judged(
                error, return_type, field_details_list, info, path, result, position_context
            )
        else:
            _record("compiled")
            return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    async def _complete_fetched(
        self,
        plan: Compiled,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """An object read whole whose selection reaches relations it does not hold (a tree's
        jobs' appointments): each fetched once for the whole object, then the walk."""
        try:
            await prefetch(self.context_value, plan.fetches, [result])
        except StepAside:
            _record("stepped_aside")
            value = super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
        except ResponseTooLarge:
            raise
        except Exception as error:
            value = self._complete_judged(
                error, return_type, field_details_list, info, path, result, position_context
            )
        else:
            value = self._walked(
                plan, return_type, field_details_list, info, path, result, position_context
            )
        return await value if self.is_awaitable(value) else value

    def _complete_judged(
        self,
        error: Exception,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core completes what the walk raised on, and judges it (see _judge)."""
        try:
            completed = super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
        except Exception:
            _record("field_error")
            raise
        if not self.is_awaitable(completed):
            self._judge(error, path)
            return completed

        async def judged() -> Any:
            try:
                value = await completed
            except Exception:
                _record("field_error")
                raise
            self._judge(error, path)
            return value

        return judged()

    # Planning ------------------------------------------------------------------------------

    def _root_plan(
        self,
        object_type: GraphQLObjectType,
        fields: FieldDetailsList,
        path: Path,
        in_tree: bool,
    ) -> Compiled | None:
        """The compiled walk of a root, shared by every request with the same query text,
        operation, position, values of the variables used beneath it and caller locales."""
        query = getattr(self.context_value, "query_text", None)
        if not query:
            return self._value_plan(object_type, fields, in_tree)
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
            in_tree,
            tuple((name, repr(coerced.get(name))) for name in names),
            getattr(self.context_value, "preferred_locales", ()),
        )
        if key in _PLANS:
            return _PLANS[key]
        plan = self._value_plan(object_type, fields, in_tree)
        if plan is None:
            _record("graphql_core")
        _PLANS.put(key, plan)
        return plan

    def _value_plan(
        self, object_type: GraphQLObjectType, fields: FieldDetailsList, in_tree: bool
    ) -> Compiled | None:
        """The plan of a root: a tree root's own, or for a root field the plan of the object
        type it returns (its arguments are read per request)."""
        if object_type is self.schema.query_type:
            inner = object_type.fields[fields[0].node.name.value].type
            if isinstance(inner, GraphQLNonNull):
                inner = inner.of_type
            if isinstance(inner, GraphQLList):
                return self._list_plan(inner, fields, in_tree)
            if not isinstance(inner, GraphQLObjectType):
                return None
            return self._plan(inner, fields, in_tree)
        return self._plan(object_type, fields, in_tree)

    def _list_plan(
        self, list_type: GraphQLList[Any], fields: FieldDetailsList, in_tree: bool
    ) -> Compiled | None:
        """A root field's list of objects: each item completed by the item type's walk (a
        null item in a non-null position steps aside: graphql-core reports it)."""
        item = list_type.of_type
        non_null = isinstance(item, GraphQLNonNull)
        if non_null:
            item = item.of_type
        if not isinstance(item, GraphQLObjectType):
            return None
        plan = self._plan(item, fields, in_tree)
        if plan is None or plan.many:
            return None
        run = plan.run

        weight = plan.weight

        def each(values: Any) -> list[Any]:
            completed: list[Any] = []
            # A null item takes five bytes ("null,"), maybe fewer than an object's least.
            _spent_bytes(values, sum(weight if v is not None else 1 for v in values))
            for value in values:
                if value is None:
                    if non_null:
                        raise StepAside
                    completed.append(None)
                else:
                    completed.append(run(value))
            return completed

        return Compiled(each, plan.fetches, many=True)

    def _plan(
        self, object_type: GraphQLObjectType, fields: FieldDetailsList, in_tree: bool
    ) -> Compiled | None:
        key = (object_type.name, id(fields), in_tree)
        cached = self._plans.get(key)
        if cached is None:
            cached = (fields, self._compile(object_type, fields, in_tree))
            self._plans[key] = cached
        return cached[1]

    def _compile(
        self, object_type: GraphQLObjectType, fields: FieldDetailsList, in_tree: bool
    ) -> Compiled | None:
        if object_type.is_type_of is not None:
            return None
        grouped, new_defer_usages, forbidden = self.collect_subfields(object_type, fields)
        if new_defer_usages or forbidden:
            return None
        steps: list[Step] = []
        fetches: list[Fetch] = []
        flat = True
        for response_key, details in grouped.items():
            first = details[0]
            name = first.node.name.value
            if name == "__typename":
                type_name = object_type.name
                steps.append(Step(response_key, _constant(type_name), _identity))
                continue
            field_def = object_type.fields[name]
            args = self._argument_values(field_def, first)
            definition = field_def.extensions.get(BACKREF)
            getter = self._getter(definition, args, in_tree)
            if getter is None:
                return None
            source = source_of(definition)
            # The walk reads the attribute inline when the getter is the field's attribute.
            plain = isinstance(getter, attrgetter) and (source is None or source.getter is None)
            attribute = definition.python_name if plain else None
            beneath = in_tree or (source is not None and source.tree_parts)
            objects = self._object_plans(field_def.type, details, beneath)
            # A tree read whole holds its jobs' line items: other relations are fetched
            # beneath a tree too.
            if (
                source is not None
                and source.relation is not None
                and not (in_tree and source.line_items is not None)
            ):
                child = objects.plan if objects is not None else None
                fetches.append(
                    Fetch(source.relation, None, False, child, f"{object_type.name}.{name}")
                )
            elif objects is not None and objects.plan.fetches:
                fetches.append(Fetch(None, getter, objects.is_list, objects.plan))
            if objects is not None:
                steps.append(Step(response_key, getter, _identity, attribute, objects))
                continue
            completer = self._completer(field_def.type, details, beneath)
            if completer is None:
                return None
            flat = flat and is_leaf_type(get_nullable_type(field_def.type))
            steps.append(Step(response_key, getter, completer, attribute))
        flat = flat and not fetches and all(step.objects is None for step in steps)
        return Compiled(_generate(steps), tuple(fetches), weight=_least_bytes(steps), flat=flat)

    def _object_plans(
        self, graphql_type: GraphQLOutputType, fields: FieldDetailsList, in_tree: bool
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
        plan = self._plan(inner, fields, in_tree)
        return None if plan is None else ObjectShape(plan, non_null, is_list)

    def _argument_values(self, field_def: GraphQLField, first: Any) -> dict[str, Any]:
        """A field's argument values (variables resolved), as graphql-core computes them."""
        if not (field_def.args or first.node.arguments):
            return {}
        return get_argument_values(
            field_def,
            first.node,
            self.variable_values,
            first.fragment_variable_values,
            self.hide_suggestions,
        )

    def _getter(self, field: Any, args: Mapping[str, Any], in_tree: bool) -> Getter | None:
        """How the walk reads a field: as its source says, else as its attribute or its plain
        method; None when graphql-core must resolve it (a source saying so, an async resolver
        or one taking arguments, info or root, without a source's getter)."""
        if not isinstance(field, StrawberryField):
            return None
        source = source_of(field)
        if source is not None:
            if source.graphql_core is not None:
                return None
            if source.getter is not None:
                return source.getter(self.context_value, args)
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
        self, graphql_type: GraphQLOutputType, fields: FieldDetailsList, in_tree: bool
    ) -> Completer | None:
        if isinstance(graphql_type, GraphQLNonNull):
            if is_leaf_type(graphql_type.of_type):
                return _leaf(graphql_type.of_type, nullable=False)
            inner = self._completer(graphql_type.of_type, fields, in_tree)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                completed = inner(value)
                if completed is None:
                    raise StepAside
                return completed

            return non_null
        if isinstance(graphql_type, GraphQLList):
            item = self._completer(graphql_type.of_type, fields, in_tree)
            if item is None:
                return None
            if get_named_type(graphql_type).name in _TEXT_TYPES:
                return lambda value: (
                    None if value is None else [item(v) for v in _spent_texts(value)]
                )
            return lambda value: (
                None if value is None else [item(v) for v in _spent(value, _LEAF_ITEM_BYTES)]
            )
        if is_leaf_type(graphql_type):
            return _leaf(graphql_type)
        if isinstance(graphql_type, GraphQLObjectType):
            # Compiled now, not on first use: the closures must not hold the executor (a
            # reference cycle would keep every request's objects alive until a full GC).
            plan = self._plan(graphql_type, fields, in_tree)
            if plan is None or plan.fetches:
                return None
            run = plan.run
            return lambda value: None if value is None else run(value)
        return None


#: The name the schema and the tests know the executor by.
TreeExecutor = ReadPathExecutor


@dataclass(frozen=True, slots=True)
class ObjectShape:
    """A field whose value is an object, or a list of non-null objects, with its plan."""

    plan: Compiled
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
    namespace: dict[str, Any] = {"aside": _step_aside, "spent": _spent, "measured": _measured}
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
            namespace[f"p{index}"] = shape.plan.run
            if shape.is_list:
                weight = shape.plan.weight
                done = f"[p{index}(x) if x is not None else aside() for x in spent(v, {weight})]"
                if shape.plan.flat:
                    done = f"measured({done}, {weight})"
            else:
                done = f"p{index}(v)"
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

#: Serialisers that are an isoformat call: Strawberry's of Date, DateTime and Time, and ours
#: of DateTime (app/graphql/common/scalars.py).
_ISOFORMATS = (base_scalars.isoformat, SERIALIZE_DATETIME)


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
    elif any(coerce is isoformat for isoformat in _ISOFORMATS):
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
_PLANS: Lru[Any, Compiled | None] = Lru(256, MAX_CACHED_TEXT)
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


@dataclass(frozen=True, slots=True)
class Declined:
    """What made run_compiled_operation leave a planned operation to graphql-core's executor:
    a field's own failure (a bad cursor, a database out of reach), which the executor then
    reports too, or a bug of this path, when the executor answers without any error (see
    `judge`)."""

    error: Exception

    def judge(self, errors: Any, request_id: str) -> None:
        """After the executor answered: a field error when it reported errors as well, else
        a failure of the compiled path (logged, counted; the tests fail on it)."""
        if errors:
            _record("field_error")
            return
        log.error(
            "the compiled operation failed where graphql-core did not; graphql-core answered "
            "request_id=%s",
            request_id,
            exc_info=self.error,
        )
        _record("failure")


async def run_compiled_operation(
    schema: GraphQLSchema,
    query: str,
    operation: OperationDefinitionNode,
    context: Any,
    variables: Mapping[str, Any],
) -> dict[str, Any] | Declined | None:
    """The data of a query operation whose every root field is read and completed by a walk
    compiled before for the same text, operation, variable values and locales (the plans
    ReadPathExecutor keeps), without graphql-core's executor: per request, building the
    executor cost more than the walk of a one-job read. None when any root is not planned
    so (a plain field node without directives, one per response key, with a declared read)
    or the variables do not coerce; Declined when anything goes other than exactly.
    graphql-core's executor then runs the operation as ever and reports what happens.
    Raises ResponseTooLarge when a walk finds the response must pass MAX_RESPONSE_BYTES: the
    operation's answer, with no executor to build it again."""
    query_type = schema.query_type
    if query_type is None:
        return None
    roots: list[tuple[str, FieldNode, tuple[GraphQLField, StrawberryField, RootRead]]] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            return None
        key = selection.alias.value if selection.alias else selection.name.value
        root = root_read_of(query_type, selection.name.value)
        if root is None or any(key == seen for seen, _, _ in roots):
            return None
        roots.append((key, selection, root))
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
    if isinstance(coerced, list):
        return None
    name = operation.name.value if operation.name else None
    locales = getattr(context, "preferred_locales", ())
    plans: list[Compiled] = []
    for key, _, _ in roots:
        names_key = (query, name, (key,))
        names = _VARIABLES_USED.get(names_key)
        if names is None:
            return None
        values = tuple((used, repr(coerced.coerced.get(used))) for used in names)
        plan = _PLANS.get((names_key, False, values, locales))
        if plan is None:
            return None
        plans.append(plan)
    budget = getattr(getattr(context, "settings", None), "max_response_bytes", None)
    data: dict[str, Any] = {}
    encoded: dict[str, EncodedRoot] = {}
    spent = 0
    try:
        for (key, node, root), plan in zip(roots, plans, strict=True):
            field_def = root[0]
            args = (
                get_argument_values(field_def, node, coerced)
                if field_def.args or node.arguments
                else {}
            )
            # One root after the other: what the response holds is known now.
            completed = await complete_root(
                schema, context, root, plan, args, budget, partial(int, spent)
            )
            # Measured by its encoding, which the response reuses (EncodedRoot).
            encoding = orjson.dumps(completed)
            size = _root_size(budget, spent, len(encoding))
            if size is None:
                return None
            spent += size
            data[key] = completed
            encoded[key] = EncodedRoot(completed, encoding)
    except ResponseTooLarge:
        raise
    except Exception as error:
        return Declined(error)
    for _ in roots:
        _record("compiled")
    _record("direct")
    if hasattr(context, "encoded_roots"):
        context.encoded_roots = encoded
    return data


@dataclass(frozen=True, slots=True)
class EncodedRoot:
    """A compiled root's value and its JSON encoding, made to measure it against the response
    budget: the HTTP view puts those bytes in the response as they are (orjson.Fragment)
    while the response's data still holds this very value, instead of encoding it again."""

    value: Any
    encoding: bytes
