"""Which job and line item columns a document's tree reads need.

A whole tree is read before its fields are resolved, so the read cannot ask the resolvers;
instead every field of `ServiceJob` and `LineItem` the document selects anywhere (every
operation, every fragment) is collected once per document text, with graphql-core's TypeInfo,
after validation and the limits (never for an anonymous caller or an oversized document),
and mapped to the columns it reads, as each field's source declares them (its metadata, see
app/graphql/read_path/sources.py): a TreeColumns for the read. Row reads of `serviceJob` and
`serviceJobs` use the same columns. A superset is always safe; a field without a source makes
the read take every column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)

from app.graphql.read_path.relations import LINE_ITEMS_OF_JOBS
from app.graphql.read_path.sources import BACKREF, Source, source_of
from app.lru import MAX_CACHED_TEXT, Lru
from app.repositories.tree_reads import TreeColumns

JOB_TYPE = "ServiceJob"
ITEM_TYPE = "LineItem"


class ColumnPlanner:
    """The columns (TreeColumns) each document's tree reads need (None: all of them), cached
    by document text."""

    def __init__(self, schema: GraphQLSchema, maxsize: int = 256) -> None:
        self.schema = schema
        self._cache: Lru[str, TreeColumns | None] = Lru(maxsize, MAX_CACHED_TEXT)
        #: GraphQL field name -> columns of its row; None for a field without an entry.
        self.columns_of = _by_graphql_name(schema, JOB_TYPE, lambda source: source.columns)
        self.item_columns_of = _by_graphql_name(schema, ITEM_TYPE, lambda source: source.columns)
        #: ServiceJob fields that need the line items, with the item columns they read.
        self.items_of_job_field = {
            name: columns
            for name, columns in _by_graphql_name(
                schema, JOB_TYPE, lambda source: source.line_items
            ).items()
            if columns is not None and name != "__typename"
        }
        #: Those of them whose items are the job's own (the line items relation fetches
        #: them; inheritedLineItems reads those of the jobs beneath, with the tree).
        self.own_items_fields = frozenset(
            name
            for name in self.items_of_job_field
            if (source := _source(schema, JOB_TYPE, name)) is not None
            and source.relation is LINE_ITEMS_OF_JOBS
        )

    def for_document(self, text: str | None, document: DocumentNode) -> TreeColumns | None:
        """The columns of a parsed, validated document (whose text is the cache key)."""
        if not text:
            return self._collect(document)
        if text in self._cache:
            return self._cache[text]
        columns = self._collect(document)
        self._cache.put(text, columns)
        return columns

    def _collect(self, document: DocumentNode) -> TreeColumns | None:
        type_info = TypeInfo(self.schema)
        collector = _TreeFields(type_info)
        visit(document, TypeInfoVisitor(type_info, collector))
        jobs: set[str] = set()
        items: set[str] = set()
        with_items = False
        for type_name, name in collector.fields:
            of = self.columns_of if type_name == JOB_TYPE else self.item_columns_of
            mapped = of.get(name)
            if mapped is None:
                return None
            (jobs if type_name == JOB_TYPE else items).update(mapped)
            if type_name == JOB_TYPE and name in self.items_of_job_field:
                with_items = True
                items.update(self.items_of_job_field[name])
        # Folded into a read of jobs only when jobs outside a tree read their own items (a
        # fragment is visited on its own, as if outside: a superset, which is always safe).
        own_items = bool(self.own_items_fields & collector.job_fields_outside_trees)
        return TreeColumns(frozenset(jobs), frozenset(items) if with_items else None, own_items)


def _source(schema: GraphQLSchema, type_name: str, name: str) -> Source | None:
    graphql_type = schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    return source_of(graphql_type.fields[name].extensions[BACKREF])


def _by_graphql_name(
    schema: GraphQLSchema,
    type_name: str,
    of_source: Callable[[Source], tuple[str, ...] | None],
) -> dict[str, tuple[str, ...] | None]:
    """What each field's source says (`of_source`), by the type's GraphQL field names (None
    for a field without a source); __typename reads nothing."""
    graphql_type = schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    mapped: dict[str, tuple[str, ...] | None] = {}
    for name, field in graphql_type.fields.items():
        source = source_of(field.extensions[BACKREF])
        mapped[name] = None if source is None else of_source(source)
    mapped["__typename"] = ()
    return mapped


#: Types whose jobs are a tree's, read whole with their line items (never by a read of jobs).
TREE_TYPES = frozenset({"LinkedServiceJobs", "ServiceJobLink"})


class _TreeFields(Visitor):
    """The (type, field) pairs of a document's ServiceJob and LineItem selections, and which
    ServiceJob fields are selected outside any tree (on jobs a read of jobs returns)."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.fields: set[tuple[str, str]] = set()
        self.job_fields_outside_trees: set[str] = set()
        #: Whether each field being visited returns a tree's objects (a stack).
        self._in_tree: list[bool] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        if parent is not None and parent.name in (JOB_TYPE, ITEM_TYPE):
            self.fields.add((parent.name, node.name.value))
            if parent.name == JOB_TYPE and not any(self._in_tree):
                self.job_fields_outside_trees.add(node.name.value)
        returned = self.type_info.get_type()
        named = get_named_type(returned) if returned is not None else None
        self._in_tree.append(named is not None and named.name in TREE_TYPES)
        return

    def leave_field(self, node: FieldNode, *_: Any) -> None:
        self._in_tree.pop()
        return
