"""Which job and line item columns a document's tree reads need.

A whole tree is read before its fields are resolved, so the read cannot ask the resolvers;
instead every field of `ServiceJob` and `LineItem` the document selects anywhere (every
operation, every fragment) is collected once per document text, with graphql-core's TypeInfo,
and mapped to the columns it reads (`COLUMNS_OF_FIELD`, `ITEM_COLUMNS_OF_FIELD`; line item
columns carry the ITEM_COLUMN prefix). A superset is always safe; a field without an entry makes
the read take every column.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    visit,
)

from app.graphql.common.lru import MAX_CACHED_TEXT, Lru
from app.graphql.service_jobs.types import COLUMNS_OF_FIELD, ITEM_COLUMNS_OF_FIELD
from app.repositories.tree_reads import ITEM_COLUMN

JOB_TYPE = "ServiceJob"
ITEM_TYPE = "LineItem"
BACKREF = "strawberry-definition"


class JobColumns:
    """The job columns each document needs (None: all of them), cached by document text."""

    def __init__(self, schema: GraphQLSchema, maxsize: int = 256) -> None:
        self.schema = schema
        self._cache: Lru[str, frozenset[str] | None] = Lru(maxsize, MAX_CACHED_TEXT)
        job_type = schema.type_map[JOB_TYPE]
        assert isinstance(job_type, GraphQLObjectType)
        #: GraphQL field name -> columns; None for a field without an entry.
        self.columns_of: dict[str, tuple[str, ...] | None] = {
            name: COLUMNS_OF_FIELD.get(field.extensions[BACKREF].python_name)
            for name, field in job_type.fields.items()
        }
        self.columns_of["__typename"] = ()
        item_type = schema.type_map[ITEM_TYPE]
        assert isinstance(item_type, GraphQLObjectType)
        #: The same for LineItem's fields, as ITEM_COLUMN-prefixed names.
        self.item_columns_of: dict[str, tuple[str, ...] | None] = {
            name: _item_columns(ITEM_COLUMNS_OF_FIELD.get(field.extensions[BACKREF].python_name))
            for name, field in item_type.fields.items()
        }
        self.item_columns_of["__typename"] = ()

    def for_document(self, text: str | None) -> frozenset[str] | None:
        if not text:
            return None
        if text in self._cache:
            return self._cache[text]
        columns = self._collect(text)
        self._cache.put(text, columns)
        return columns

    def _collect(self, text: str) -> frozenset[str] | None:
        try:
            document = parse(text)
        except GraphQLError:
            return None
        type_info = TypeInfo(self.schema)
        collector = _JobFields(type_info)
        visit(document, TypeInfoVisitor(type_info, collector))
        columns: set[str] = set()
        for type_name, name in collector.fields:
            of = self.columns_of if type_name == JOB_TYPE else self.item_columns_of
            mapped = of.get(name)
            if mapped is None:
                return None
            columns.update(mapped)
        return frozenset(columns)


class _JobFields(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.fields: set[tuple[str, str]] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        if parent is not None and parent.name in (JOB_TYPE, ITEM_TYPE):
            self.fields.add((parent.name, node.name.value))


def _item_columns(columns: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if columns is None else tuple(ITEM_COLUMN + name for name in columns)
