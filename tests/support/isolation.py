"""Running generated operations for the isolation matrix: root fields with every path of a walk
(packed into operations the API accepts and merged back into one answer), aliased batches of
light lookups, and comparisons of an answer with the answer for stand-ins that never existed."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from graphql import GraphQLField, GraphQLSchema, is_leaf_type

from tests.support.graphql import GraphQLClient
from tests.support.normalise import normalise
from tests.support.schema_walk import (
    PROBE,
    Limits,
    Selected,
    Walk,
    pack,
    render,
    root_fields,
    selection,
    unwrap,
    uses_probe,
    variable_definitions,
)

#: The fields of a type and of the objects right below it.
LIGHT = Walk(max_depth=1, max_visits=1)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings(inner)


def uuids(value: Any) -> set[str]:
    return set(UUID.findall(json.dumps(value)))


@dataclass
class StandIns:
    """A's values an intruder must not reach, each with a stand-in that never existed (a fresh
    UUID for an id, a fresh label of fixed width for anything else, so that no stand-in is
    part of another)."""

    of: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_values(cls, values: Iterable[str]) -> StandIns:
        return cls(
            {
                value: str(uuid.uuid4()) if UUID.fullmatch(value) else f"never-{index:04d}"
                for index, value in enumerate(sorted(values))
            }
        )

    def carried_by(self, value: Any) -> set[str]:
        """A's values inside `value` (arguments, an input)."""
        return {s for s in strings(value) if s in self.of}

    def substitute(self, value: Any) -> Any:
        """`value` with every one of A's values replaced by its stand-in."""
        if isinstance(value, str):
            return self.of.get(value, value)
        if isinstance(value, Mapping):
            return {k: self.substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        return value

    def restore(self, value: Any) -> Any:
        """`value` (an answer to stand-ins) with the stand-ins named by A's values again."""
        text = json.dumps(value)
        for original, stand_in in self.of.items():
            text = text.replace(stand_in, original)
        return json.loads(text)

    def found_in(self, answer: Any, sent: Any = None) -> set[str]:
        """A's values in an answer, except those the caller sent itself (an answer may echo
        them: "Service job '…' was not found.")."""
        text = json.dumps(answer)
        own = set(strings(sent))
        return {v for v in self.of if v in text and v not in own}

    def comparable(self, answer: Any, *, stand_ins: bool) -> Any:
        """An answer with generated ids and timestamps normalised, to compare an answer for
        A's values with the answer for their stand-ins."""
        restored = self.restore(answer) if stand_ins else answer
        return normalise(restored, keep=frozenset(self.of))


def is_empty(value: Any) -> bool:
    """Null, an empty list, or a connection holding nothing."""
    if value is None or value == []:
        return True
    if isinstance(value, Mapping) and "totalCount" in value:
        return value["totalCount"] == 0 and all(
            value.get(key, []) == [] for key in ("nodes", "edges")
        )
    return False


def merge(left: Any, right: Any) -> Any:
    """One answer from the answers to parts of a selection. A part that came back null (an
    error in it nulled a parent) takes the other part's value: its errors are reported."""
    if left is None or right is None:
        return right if left is None else left
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return {
            k: merge(left[k], right[k]) if k in left and k in right else left.get(k, right.get(k))
            for k in {**left, **right}
        }
    if isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), "the parts of one answer disagree on a list"
        return [merge(a, b) for a, b in zip(left, right, strict=True)]
    assert left == right, f"the parts of one answer disagree: {left!r} != {right!r}"
    return left


@dataclass(frozen=True, slots=True)
class Answer:
    data: Any
    errors: list[dict[str, Any]]
    paths: int


class Runner:
    """Runs root fields of the live schema with every path of `walk` beneath them."""

    def __init__(self, schema: GraphQLSchema, limits: Limits, walk: Walk) -> None:
        self.schema = schema
        self.limits = limits
        self.walk = walk
        self.queries = root_fields(schema, "query")

    def full_selection(self, field_name: str) -> tuple[Selected, ...]:
        named = unwrap(self.queries[field_name].type)
        return () if is_leaf_type(named) else selection(self.schema, named.name, self.walk)

    def document(
        self, field_name: str, arguments: Mapping[str, Any], part: tuple[Selected, ...]
    ) -> str:
        declared, passed = variable_definitions(self.queries[field_name], arguments)
        if uses_probe(part):
            declared = ", ".join(filter(None, (declared, f"${PROBE}: ID!")))
        head = f"query({declared})" if declared else "query"
        body = f" {{ {render(part)} }}" if part else ""
        return f"{head} {{ {field_name}{passed}{body} }}"

    #: Plans by schema, walk, field and the arguments given (their values do not change the
    #: cost, but for `first`, which the cases do not pass).
    _plans: ClassVar[dict[tuple[int, Walk, str, frozenset[str]], list[tuple[Selected, ...]]]] = {}
    _refused: ClassVar[dict[tuple[int, Walk, str], int]] = {}

    def plan(self, field_name: str, arguments: Mapping[str, Any]) -> list[tuple[Selected, ...]]:
        key = (id(self.schema), self.walk, field_name, frozenset(arguments))
        if key not in self._plans:
            full = self.full_selection(field_name)
            refused: list[tuple[Selected, ...]] = []
            parts: list[tuple[Selected, ...]] = (
                pack(
                    full,
                    lambda part: self.limits.accepts(
                        self.document(field_name, arguments, part), arguments
                    ),
                    refused,
                )
                if full
                else [()]
            )
            self._refused[key[:3]] = len(refused)
            self._plans[key] = parts
        return self._plans[key]

    def refused(self) -> int:
        """Paths no client can run (over the API's limits) below the fields planned so far."""
        return sum(
            n
            for (schema, walk, _), n in self._refused.items()
            if (schema, walk) == (id(self.schema), self.walk)
        )

    async def run(
        self, client: GraphQLClient, field_name: str, arguments: Mapping[str, Any]
    ) -> Answer:
        """The field's answer with every path of the walk, merged from the parts."""
        data: Any = None
        errors: list[dict[str, Any]] = []
        paths = 0
        for index, part in enumerate(self.plan(field_name, arguments)):
            body = await client.raw(self.document(field_name, arguments, part), dict(arguments))
            errors += body.get("errors") or []
            value = (body.get("data") or {}).get(field_name)
            data = value if index == 0 else merge(data, value)
            paths += sum(s.paths() for s in part) or 1
        return Answer(data, errors, paths)


@dataclass(frozen=True, slots=True)
class Lookup:
    """One aliased call of a batch."""

    field_name: str
    arguments: Mapping[str, Any]


class Batcher:
    """Many light lookups in as few operations as the API's limits allow (aliases, cost)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: Limits,
        max_aliases: int,
        walk: Walk = LIGHT,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.max_aliases = max_aliases
        self.walk = walk
        self.queries = root_fields(schema, "query")
        self._selections: dict[str, str] = {}

    def _selection(self, field_name: str) -> str:
        if field_name not in self._selections:
            named = unwrap(self.queries[field_name].type)
            light = (
                "" if is_leaf_type(named) else render(selection(self.schema, named.name, self.walk))
            )
            self._selections[field_name] = f" {{ {light} }}" if light else ""
        return self._selections[field_name]

    def _document(self, lookups: list[Lookup]) -> tuple[str, dict[str, Any]]:
        declared: list[str] = []
        calls: list[str] = []
        variables: dict[str, Any] = {}
        for index, lookup in enumerate(lookups):
            field: GraphQLField = self.queries[lookup.field_name]
            passed: list[str] = []
            for name, value in lookup.arguments.items():
                variable = f"a{index}_{name}"
                declared.append(f"${variable}: {field.args[name].type}")
                passed.append(f"{name}: ${variable}")
                variables[variable] = value
            arguments = f"({', '.join(passed)})" if passed else ""
            calls.append(
                f"q{index}: {lookup.field_name}{arguments}{self._selection(lookup.field_name)}"
            )
        head = f"query({', '.join(declared)})" if declared else "query"
        return f"{head} {{ {' '.join(calls)} }}", variables

    async def run(self, client: GraphQLClient, lookups: list[Lookup]) -> list[Answer]:
        """Each lookup's answer with its own errors, in order. An error of a whole batch
        (parsing, validation, limits) fails: the batch was built wrong."""
        answers: list[Answer] = []
        start = 0
        while start < len(lookups):
            # The longest batch from `start` the API accepts (costs add up along a batch).
            low, high = start + 1, min(len(lookups), start + self.max_aliases)
            if self.limits.accepts(*self._document(lookups[start:high])):
                low = high
            while low < high:
                middle = (low + high + 1) // 2
                if self.limits.accepts(*self._document(lookups[start:middle])):
                    low = middle
                else:
                    high = middle - 1
            end = low
            document, variables = self._document(lookups[start:end])
            body = await client.raw(document, variables)
            errors: dict[str, list[dict[str, Any]]] = {}
            for error in body.get("errors") or []:
                assert error.get("path"), f"the batch failed: {error}"
                errors.setdefault(error["path"][0], []).append(error)
            data = body.get("data") or {}
            answers += [
                Answer(data.get(f"q{i}"), errors.get(f"q{i}", []), 1) for i in range(end - start)
            ]
            start = end
        return answers
