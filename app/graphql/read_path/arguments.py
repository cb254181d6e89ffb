"""A root field's arguments as its resolver receives them: what Strawberry's
`convert_arguments` makes of graphql-core's coerced values, with the per-field work it repeats
on every call (each input field's GraphQL name, its resolved type, the recursion through
optional wrappers) done once per field definition.

A list page's filter has sixteen optional fields that graphql-core fills with their null
defaults; Strawberry worked out each one's name and type and converted its null on every
request, about a twentieth of a 100-job page's time in Python. Types whose conversion is more
than that (input types that build their own value, `Maybe`, relay ids) keep Strawberry's own
conversion, whole, for that argument."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any, cast

from strawberry.relay.types import GlobalID
from strawberry.types.arguments import (
    StrawberryArgument,
    _is_leaf_type,
    _is_optional_leaf_type,
    convert_argument,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

#: Converts one argument's coerced value.
Convert = Callable[[Any], Any]


class NotPlain(Exception):
    """A type this module leaves to Strawberry's conversion."""


class ArgumentConverter:
    """Converts a root field's arguments exactly as Strawberry's `convert_arguments` does
    (the same values, the same objects built the same way), from converters made once."""

    def __init__(self, strawberry_schema: Any) -> None:
        self.registry = strawberry_schema.schema_converter.scalar_registry
        self.config = strawberry_schema.config
        self._fields: dict[int, tuple[StrawberryField, list[tuple[str, str, Convert]]]] = {}
        #: Each input type's converter (made once: input types may nest themselves).
        self._inputs: dict[type, Convert] = {}

    def convert(self, definition: StrawberryField, value: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._fields.get(id(definition))
        if entry is None or entry[0] is not definition:
            entry = (definition, self._arguments(definition.arguments))
            self._fields[id(definition)] = entry
        return {
            python_name: convert(value[name])
            for name, python_name, convert in entry[1]
            if name in value
        }

    def _arguments(self, arguments: list[StrawberryArgument]) -> list[tuple[str, str, Convert]]:
        converters = []
        for argument in arguments:
            assert argument.python_name
            name = self.config.name_converter.from_argument(argument)
            made_before = dict(self._inputs)
            try:
                convert = self._of(argument.type)
            except NotPlain:
                # Input types made on the way may hold the one that was not plain: forget
                # them all, so that no other argument reuses them.
                self._inputs = made_before
                convert = self._strawberry(argument.type, (name,))
            converters.append((name, argument.python_name, convert))
        return converters

    def _strawberry(self, type_: Any, path: tuple[str | int, ...]) -> Convert:
        registry, config = self.registry, self.config

        def convert(value: Any) -> Any:
            return convert_argument(value, type_, registry, config, None, path=path)

        return convert

    def _of(self, type_: Any) -> Convert:
        """The converter of a value of `type_` (raises NotPlain: Strawberry's own, whole)."""
        if isinstance(type_, StrawberryMaybe):
            raise NotPlain
        if isinstance(type_, StrawberryOptional):
            return self._of(type_.of_type)
        if isinstance(type_, LazyType):
            return self._of(type_.resolve_type())
        if isinstance(type_, StrawberryList):
            of_type = type_.of_type
            if self._leaf(of_type) or _is_optional_leaf_type(
                of_type, self.registry, skip_classes=(GlobalID,)
            ):
                return _copied_list
            item = self._of(of_type)
            return _none_or(lambda value: [item(x) for x in value])
        if self._leaf(type_) or has_enum_definition(type_):
            return _same
        if has_object_definition(type_):
            return self._input(type_)
        raise NotPlain

    def _leaf(self, type_: Any) -> bool:
        if type_ is GlobalID:
            raise NotPlain
        return _is_leaf_type(type_, self.registry)

    def _input(self, type_: type) -> Convert:
        made = self._inputs.get(type_)
        if made is not None:
            return made
        definition = type_.__strawberry_definition__  # type: ignore[attr-defined]
        if definition.from_input is not None:
            raise NotPlain
        defaults: dict[str, Any] = {}
        if definition.is_input:
            defaults = {
                field.python_name: None
                for field in definition.fields
                if field.default_value is MISSING and field.default_factory is MISSING
            }
        fields: list[tuple[str, str, Convert]] = []

        def build(value: Any) -> Any:
            kwargs = dict(defaults)
            for name, python_name, convert in fields:
                if name in value:
                    kwargs[python_name] = convert(value[name])
            return type_(**kwargs)

        # Known before its fields are: an input type may nest itself (and/or searches).
        made = self._inputs[type_] = _none_or(build)
        for field in definition.fields:
            convert = self._of(field.resolve_type(type_definition=definition))
            fields.append(
                (self.config.name_converter.from_field(field), field.python_name, convert)
            )
        return made


def _none_or(convert: Convert) -> Convert:
    """As Strawberry converts every value: None and UNSET stay as they are."""

    def converted(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        return convert(value)

    return converted


def _same(value: Any) -> Any:
    return value


def _copied_list(value: Any) -> Any:
    # Copied as Strawberry copies it: graphql-core gives the same default list to every
    # request that omits the value.
    if value is None or value is UNSET:
        return value
    return list(cast(list[Any], value))
