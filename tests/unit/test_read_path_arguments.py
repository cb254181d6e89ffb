"""The read path's argument converter (app/graphql/read_path/arguments.py) makes exactly
what Strawberry's `convert_arguments` makes, for every field with arguments of the schema:
the same values, of the same types, built the same way; null, omitted and given values."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)
from graphql.pyutils import Undefined
from graphql.utilities import coerce_input_value
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from app.graphql.read_path.arguments import ArgumentConverter
from app.graphql.read_path.sources import BACKREF
from app.graphql.schema import build_schema
from app.settings import Settings

SCHEMA = build_schema(Settings(_env_file=None, jwt_secret="x" * 40))  # type: ignore[call-arg, arg-type]
CORE: GraphQLSchema = SCHEMA._schema
SAMPLES: dict[str, object] = {
    "String": "fac-011",
    "ID": "0b5d6f1e-0000-4000-a000-000000000001",
    "Int": 7,
    "Float": 1.5,
    "Boolean": True,
    "DateTime": "2026-12-03T10:00:00+00:00",
    "Date": "2026-12-03",
    "JSONObject": {"k": "v"},
    "LocalizedText": {"en_US": "Text", "de_DE": "Text"},
}


def sample(type_: GraphQLInputType, full: bool, depth: int = 0) -> object:
    """An input value of `type_`: every field given (`full`), or the first one only."""
    if isinstance(type_, GraphQLNonNull):
        return sample(type_.of_type, full, depth)
    if isinstance(type_, GraphQLList):
        return [sample(type_.of_type, full, depth)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return SAMPLES.get(type_.name, "x")
    assert isinstance(type_, GraphQLInputObjectType)
    value: dict[str, object] = {}
    for name, field in type_.fields.items():
        required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        if required or (depth < 2 and (full or not value)):
            value[name] = sample(field.type, full, depth + 1)
    return value


def coerce(value: object, type_: GraphQLInputType) -> object:
    coerced = coerce_input_value(value, type_)
    assert coerced is not Undefined, f"not a valid sample of {type_}: {value!r}"
    return coerced


def fields_with_arguments() -> list[tuple[str, str, GraphQLField]]:
    found = []
    for root in (CORE.query_type, CORE.mutation_type):
        assert root is not None
        found += [(root.name, name, f) for name, f in root.fields.items() if f.args]
    return found


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize(
    ("root", "name", "field"),
    fields_with_arguments(),
    ids=lambda v: v if isinstance(v, str) else "",
)
@pytest.mark.parametrize("shape", ["defaults", "first", "full"])
def test_every_argument_converts_as_strawberry_converts_it(
    root: str, name: str, field: GraphQLField, shape: str
) -> None:
    definition = field.extensions[BACKREF]
    assert isinstance(definition, StrawberryField)
    raw: dict[str, object] = {}
    for argument_name, argument in field.args.items():
        required = isinstance(argument.type, GraphQLNonNull)
        if shape != "defaults" or required:
            raw[argument_name] = sample(argument.type, full=shape == "full")
    coerced: dict[str, Any] = {}
    for argument_name, argument in field.args.items():
        if argument_name in raw:
            coerced[argument_name] = coerce(raw[argument_name], argument.type)
        elif argument.default_value is not Undefined:  # as graphql-core's get_argument_values
            coerced[argument_name] = argument.default_value
    converter = ArgumentConverter(SCHEMA)
    expected = convert_arguments(
        coerced,
        definition.arguments,
        scalar_registry=SCHEMA.schema_converter.scalar_registry,
        config=SCHEMA.config,
    )
    assert same(converter.convert(definition, coerced), expected), (root, name)
    # Converted again from the converters made the first time.
    assert same(converter.convert(definition, coerced), expected), (root, name)


def test_a_default_list_is_copied_for_each_request() -> None:
    field = CORE.query_type.fields["serviceJobs"]  # type: ignore[union-attr]
    definition = field.extensions[BACKREF]
    shared = {"statuses": ["OPEN"]}
    coerced = {"filter": shared}
    converter = ArgumentConverter(SCHEMA)
    first = converter.convert(definition, coerced)["filter"]
    assert first.statuses == shared["statuses"] and first.statuses is not shared["statuses"]


def test_a_datetime_argument_keeps_its_parsed_value() -> None:
    field = CORE.query_type.fields["serviceJobs"]  # type: ignore[union-attr]
    definition = field.extensions[BACKREF]
    when = datetime(2026, 12, 3, tzinfo=UTC)
    converted = ArgumentConverter(SCHEMA).convert(definition, {"filter": {"targetTimeFrom": when}})
    assert converted["filter"].target_time_from is when


@strawberry.input
class Outer:
    x: int | None = None
    inner: Inner | None = None


@strawberry.input
class Inner:
    outer: Outer | None = None
    maybe: strawberry.Maybe[int]


@strawberry.type
class _Query:
    @strawberry.field
    def by_inner(self, inner: Inner) -> int:
        return 0

    @strawberry.field
    def by_outer(self, outer: Outer) -> int:
        return 0


def test_a_type_left_to_strawberry_leaves_the_types_made_on_its_way_too() -> None:
    """Inner holds a Maybe (Strawberry's conversion): Outer, made while Inner was tried, must
    not be reused half made by another argument."""
    schema = strawberry.Schema(query=_Query)
    query = schema._schema.query_type
    assert query is not None
    converter = ArgumentConverter(schema)
    value = {"outer": {"x": 1, "inner": {"maybe": 5, "outer": None}}}
    for name, coerced in (("byInner", {"inner": {"maybe": 2}}), ("byOuter", value)):
        definition = query.fields[name].extensions[BACKREF]
        expected = convert_arguments(
            coerced,
            definition.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )
        assert same(converter.convert(definition, coerced), expected), name
