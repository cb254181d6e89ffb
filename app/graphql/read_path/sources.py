"""Where a field's value comes from, declared once in the field's own definition.

A field of a type the read path serves says, in its Strawberry `metadata` under READ, what it
needs: the columns of its object's row it reads (a row read selects only the columns of the
fields a document asks for), how to read it from the object when that is not a plain
attribute or method of it (a getter made for the field's arguments and the request), and, for
a value that lives elsewhere, the batched relation that fetches it for every parent of a level
in one statement before the level is completed. A field the compiled walk cannot answer
exactly says why, and graphql-core answers it.

    status: ServiceJobStatus = strawberry.field(description=..., metadata=reads("status"))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from app.domain.localized import resolve_text

#: The key under which Strawberry keeps a GraphQL field's own StrawberryField definition
#: (and an object type's own StrawberryObjectDefinition).
BACKREF = "strawberry-definition"

_T = TypeVar("_T")

#: The metadata key of a field's Source.
READ = "read"

#: Reads a field's value from its object.
Getter = Callable[[Any], Any]
#: Makes a field's getter for one request (its context) and the field's arguments.
GetterFactory = Callable[[Any, Mapping[str, Any]], Getter]


class StepAside(Exception):
    """The compiled walk cannot produce this value exactly; graphql-core will (it reports
    the error or the null the value makes)."""


class Relation(Protocol):
    """Fetches a field's values for every parent object of a level at once (one statement,
    whatever the number of parents) and attaches them to the parents, where the field's
    getter reads them. Returns the fetched child objects (the next level's parents)."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]: ...


class RootRead(Protocol):
    """Reads a root field's value (objects of row-backed types, with only the columns the
    document reads) for its converted arguments."""

    async def read(self, context: Any, arguments: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True, slots=True)
class RootCall:
    """A root field read by the same function its resolver calls (`function(context,
    **arguments)`, the arguments by their Python names; a coroutine function or a plain one):
    for roots whose value is a few rows read through their repository, or computed, where what
    the compiled walk saves is graphql-core's work per field of every object returned."""

    function: Callable[..., Any]

    async def read(self, context: Any, arguments: Mapping[str, Any]) -> Any:
        value = self.function(context, **arguments)
        return await value if isawaitable(value) else value


@dataclass(frozen=True, slots=True)
class Source:
    """Where one field's value comes from (see the module's doc)."""

    #: Columns of the object's row the value is made of.
    columns: tuple[str, ...] = ()
    #: How the compiled walk reads the value, when not as the field's attribute or method.
    getter: GetterFactory | None = None
    #: Fetched for a whole level before it is completed.
    relation: Relation | None = None
    #: A root field's read.
    root: RootRead | None = None
    #: The field needs its job's line items, and reads these line item columns itself.
    line_items: tuple[str, ...] | None = None
    #: Why graphql-core resolves this field rather than the compiled walk (None: it does not).
    graphql_core: str | None = None
    #: How the field's value is made of its object's row when it is not its one column as it
    #: is (an enum from its name, an article from its stored JSON): what objects built from a
    #: row hold (see row_fields).
    made: Getter | None = None
    #: The value is part of a tree read whole (a job's tree, its link): what lies beneath it
    #: is completed as in a tree.
    tree_parts: bool = False


def reads(
    *columns: str,
    getter: GetterFactory | None = None,
    relation: Relation | None = None,
    root: RootRead | None = None,
    line_items: tuple[str, ...] | None = None,
    made: Getter | None = None,
    tree_parts: bool = False,
) -> dict[str, Source]:
    """A field's metadata: the Source of its value."""
    return {
        READ: Source(
            columns,
            getter,
            relation,
            root,
            line_items,
            graphql_core=None,
            made=made,
            tree_parts=tree_parts,
        )
    }


def resolved_by_graphql_core(reason: str, *columns: str) -> dict[str, Source]:
    """A field's metadata when graphql-core resolves it (the reason is documented and
    counted); `columns` are those of the object's row it reads."""
    return {READ: Source(columns, graphql_core=reason)}


#: The class attribute that marks a type read whole (`read_whole`).
WHOLE = "__read_whole__"


def read_whole(cls: _T) -> _T:
    """Declares a Strawberry type whose objects are read whole, in memory, before they are
    completed (a tree: its links, jobs and line items in a fixed number of statements). The
    compiled walk completes such an object wherever graphql-core meets it; beneath it, a
    field whose values the tree holds (a job's line items) is read from it, not fetched."""
    setattr(cls, WHOLE, True)
    return cls


def is_read_whole(object_type: Any) -> bool:
    """Whether a GraphQL object type is that of a Strawberry type declared `read_whole`."""
    definition = object_type.extensions.get(BACKREF) if object_type.extensions else None
    # The type's own declaration: a subclass is not read whole for being one.
    return bool(vars(getattr(definition, "origin", object)).get(WHOLE, False))


def source_of(field: Any) -> Source | None:
    """The Source a Strawberry field declares, if any."""
    metadata = getattr(field, "metadata", None)
    if not metadata:
        return None
    source = metadata.get(READ)
    return source if isinstance(source, Source) else None


def row_fields(cls: Any) -> tuple[dict[str, str], dict[str, Getter]]:
    """How an object of a Strawberry type is made of its row, from its fields' sources: the
    fields that are one column as it is (field -> column), and those made of the row (field
    -> how). Fields with a resolver, or without a source, are in neither."""
    plain: dict[str, str] = {}
    made: dict[str, Getter] = {}
    for definition in cls.__strawberry_definition__.fields:
        source = source_of(definition)
        if definition.base_resolver is not None or source is None:
            continue
        if source.made is not None:
            made[definition.python_name] = source.made
        elif len(source.columns) == 1:
            plain[definition.python_name] = source.columns[0]
    return plain, made


def localized_text(attribute: str, required: bool = False) -> GetterFactory:
    """A localized text in the caller's locales (the `locale` argument first); "" for a
    missing required one."""

    def make(context: Any, args: Mapping[str, Any]) -> Getter:
        locale = args.get("locale")
        preferred = context.preferred_locales
        if locale is not None:
            preferred = (getattr(locale, "name", locale), *preferred)
        read = attrgetter(attribute)
        if required:
            return lambda obj: resolve_text(read(obj), preferred) or ""
        return lambda obj: resolve_text(read(obj), preferred)

    return make


def json_or_attribute(key: str, attribute: str, default: Any = None) -> GetterFactory:
    """A field read from the stored JSON object the compiled walk hands over as the object
    (an article of a line item row), or from the GraphQL object graphql-core gets."""

    def make(context: Any, args: Mapping[str, Any]) -> Getter:
        read = attrgetter(attribute)
        if default is not None:

            def get_or_default(obj: Any) -> Any:
                return (obj.get(key) or default) if type(obj) is dict else read(obj)

            return get_or_default

        def get(obj: Any) -> Any:
            return obj.get(key) if type(obj) is dict else read(obj)

        get.json_key = key  # type: ignore[attr-defined]  # the generated walk inlines it
        return get

    return make


def row_value(read: Getter) -> GetterFactory:
    """A value made of the object's row by `read` (the same for every request)."""
    return lambda context, args: read


def attached(attribute: str) -> GetterFactory:
    """A relation's field: the value its relation attached to the object (`attribute`, None
    until then); when none was attached the walk steps aside and graphql-core resolves it."""

    def get(obj: Any) -> Any:
        value = getattr(obj, attribute)
        if value is None:
            raise StepAside
        return value

    return row_value(get)
