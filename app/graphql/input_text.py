"""Every string a client sends is bounded (app/domain/text_limits.py), checked before
execution: literals in the document once per text, variables per request.

Where each variable is used (which argument or input field, of which type) is worked out once
per document with graphql-core's TypeInfo, in one visit of its definitions (a fragment is
visited once however often it is spread). A variable's value is then walked along its input
type, each string checked against the bound of the field it lands in; strings inside custom
scalars (LocalizedText, JSONObject) are bounded as free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    ObjectFieldNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableNode,
    Visitor,
    visit,
)

from app.domain.text_limits import FREE_TEXT, text_problem

_BUILT_IN_TEXT = frozenset({"String", "ID"})
_ANY_TEXT = "text"


@dataclass(frozen=True, slots=True)
class VariableUse:
    """A variable used as the value of the argument or input field `field` of type `type`."""

    variable: str
    field: str
    type: GraphQLInputType | None


@dataclass(frozen=True, slots=True)
class InputTexts:
    """What a document's literals break (problems found once), and where its variables go."""

    problems: tuple[str, ...]
    uses: tuple[VariableUse, ...]


def input_texts(schema: GraphQLSchema, document: DocumentNode) -> InputTexts:
    type_info = TypeInfo(schema)
    collector = _Collector(type_info)
    visit(document, TypeInfoVisitor(type_info, collector))
    return InputTexts(tuple(collector.problems), tuple(dict.fromkeys(collector.uses)))


def variable_problems(texts: InputTexts, variables: Mapping[str, Any]) -> list[str]:
    """The problems of the strings in these variables' values, where the document uses them."""
    problems: list[str] = []
    for use in texts.uses:
        if use.variable in variables:
            _walk(variables[use.variable], use.field, use.type, problems)
        if len(problems) >= _MAX_PROBLEMS:
            break
    return problems[:_MAX_PROBLEMS]


_MAX_PROBLEMS = 10


def _walk(value: Any, field: str, graphql_type: Any, problems: list[str]) -> None:
    """Checks the strings of a value given for `field` of type `graphql_type` (None: unknown,
    bounded as free text). The request pipeline has bounded the value's nesting already."""
    while isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if isinstance(value, str):
        if isinstance(graphql_type, GraphQLScalarType) and graphql_type.name in _BUILT_IN_TEXT:
            problem = text_problem(value, field)
        else:
            problem = _free_text_problem(value, field)
        if problem is not None:
            problems.append(problem)
    elif isinstance(value, list):
        inner = graphql_type.of_type if isinstance(graphql_type, GraphQLList) else graphql_type
        for item in value:
            _walk(item, field, inner, problems)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(graphql_type, GraphQLInputObjectType):
                input_field = graphql_type.fields.get(key)
                _walk(item, key, input_field.type if input_field else None, problems)
            else:
                # Keys of a custom scalar's object are client text too.
                if isinstance(key, str) and (problem := _free_text_problem(key, field)):
                    problems.append(problem)
                _walk(item, field, None, problems)


def _free_text_problem(value: str, field: str) -> str | None:
    return text_problem(value, field, FREE_TEXT)


class _Collector(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.names: list[str] = []
        self.problems: list[str] = []
        self.uses: list[VariableUse] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_argument(self, *_: Any) -> None:
        self.names.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_object_field(self, *_: Any) -> None:
        self.names.pop()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        field = self.names[-1] if self.names else _ANY_TEXT
        named = self.type_info.get_input_type()
        while isinstance(named, GraphQLNonNull | GraphQLList):
            named = named.of_type
        if isinstance(named, GraphQLScalarType) and named.name in _BUILT_IN_TEXT:
            problem = text_problem(node.value, field)
        else:
            problem = _free_text_problem(node.value, field)
        if problem is not None and len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(problem)

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if self.names:  # a use, not the variable's definition
            self.uses.append(
                VariableUse(node.name.value, self.names[-1], self.type_info.get_input_type())
            )
