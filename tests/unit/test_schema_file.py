"""schema.graphql is the exported SDL, kept fresh; every type, field, argument and enum value
says what it is."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)

from app.graphql.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema.graphql is stale: run `python -m app export-schema` and commit it"
    )


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    schema = build_schema(sdl())
    missing: list[str] = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})"
                    for arg, definition in field.args.items()
                    if not definition.description
                ]
        elif isinstance(graphql_type, GraphQLInputObjectType):
            missing += [
                f"{name}.{field_name}"
                for field_name, field in graphql_type.fields.items()
                if not field.description
            ]
        elif isinstance(graphql_type, GraphQLEnumType):
            missing += [
                f"{name}.{value}"
                for value, definition in graphql_type.values.items()
                if not definition.description
            ]
    assert missing == []
