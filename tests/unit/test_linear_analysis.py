"""The analyses a document goes through before it runs do work at most linear in its size,
counted, never timed (issue 15): graphql-core's validation (the rules the request pipeline
runs), the depth and alias limits (`operation_shapes`), the cost estimate, the bounds of the
input texts and the tree column planner. Work is the selections an analysis of
app/graphql/cost.py visits (its own `visits` counter) or the Python function calls made
(`sys.setprofile`), set against the document's size in AST nodes. Meanwhile the figures they
report grow with what the document expands to, so they are right, not truncated.
Work found not to be linear is kept, at the end, as the assertions it should pass (strict
xfail, so that a fix shows up as an unexpected pass).

A nested fragment chain (`fragment F0 { ...F1 ...F1 }` …) is the shape that froze the server
when every analysis expanded every spread again: 2^n selections from n fragments.
"""

from __future__ import annotations

import functools
import gc
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    SelectionNode,
    Visitor,
    parse,
    specified_rules,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.schema.schema import validate_document

from app.graphql.cost import CAP, Pricing, Shape, _estimate, _ShapeOf, operation_shapes
from app.graphql.input_text import input_texts
from app.graphql.schema import build_schema
from app.graphql.trees.columns import ColumnPlanner
from app.settings import Settings

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
GATEWAY = build_schema(SETTINGS)
SCHEMA = GATEWAY._schema
PRICING = Pricing(SETTINGS.default_page_size, SETTINGS.max_page_size, SETTINGS.max_jobs_per_tree)
PLANNER = ColumnPlanner(SCHEMA)
#: The rules the request pipeline validates with (CachedValidation: strawberry's
#: validate_document adds its own two to graphql-core's specified rules; production adds
#: DisableIntrospection's, which only looks at `__schema` and `__type` fields).
RULES = tuple(specified_rules)

#: Doubling a document may at most multiply the work by this: twice, with slack for the
#: fixed part of the work (the operation, the schema lookups), which does not double.
GROWTH = 2.5


def calls(work: Callable[[], object], warm_up: Callable[[], object] | None = None) -> int:
    """The Python function calls `work` makes: deterministic, unlike its time. It (or
    `warm_up`) runs once before it is counted, so that first-use caches do not count; the
    garbage collector is off while counting, so that no finaliser of other objects is."""
    (warm_up or work)()
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    previous = sys.getprofile()
    collecting = gc.isenabled()
    gc.disable()
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(previous)
        if collecting:
            gc.enable()
    return count


class _Size(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.nodes = 0
        self.selections = 0

    def enter(self, node: Node, *_: Any) -> None:
        self.nodes += 1
        if isinstance(node, SelectionNode):
            self.selections += 1


def count_nodes(document: DocumentNode) -> int:
    size = _Size()
    visit(document, size)
    return size.nodes


def validation(document: DocumentNode) -> list[GraphQLError]:
    return validate_document(SCHEMA, document, RULES)


@dataclass(frozen=True)
class Work:
    """A valid one-operation document's size, the work of each analysis and its figures."""

    #: AST nodes (names, arguments, values included), and fields, inline fragments and spreads.
    nodes: int
    selections: int
    #: Selections the depth and alias analysis visited, and what it found.
    shape_visits: int
    shape: Shape
    #: Selections the cost estimate visited, and the cost.
    cost_visits: int
    cost: int
    #: Python function calls of graphql-core's validation, the column planner, input texts.
    validation_calls: int
    planner_calls: int
    input_text_calls: int


#: The measures of work, each held to grow linearly.
MEASURES = ("shape_visits", "cost_visits", "validation_calls", "planner_calls", "input_text_calls")


def work_of(text: str) -> Work:
    document = parse(text)
    errors = validation(document)
    assert errors == [], [e.message for e in errors]
    size = _Size()
    visit(document, size)
    (operation,) = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    shapes = _ShapeOf(document)
    shape = Shape(*shapes.of(operation.selection_set))
    assert operation_shapes(document) == {None: shape}
    cost, cost_visits = _estimate(SCHEMA, document, None, {}, PRICING)
    return Work(
        nodes=size.nodes,
        selections=size.selections,
        shape_visits=shapes.visits,
        shape=shape,
        cost_visits=cost_visits,
        cost=cost,
        validation_calls=calls(lambda: validation(document)),
        planner_calls=calls(lambda: PLANNER._collect(document)),
        input_text_calls=calls(lambda: input_texts(SCHEMA, document)),
    )


# 1. the fragment chain, deterministically


def fragment_chain(levels: int, leaves: str = "totalCount a: totalCount") -> str:
    """`query { customServices { ...F0 } }`, each fragment spreading the next twice: the
    last one's `leaves` are selected 2^levels times."""
    lines = ["query { customServices { ...F0 } }"]
    lines += [
        f"fragment F{i} on CustomServiceConnection {{ ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    ]
    lines.append(f"fragment F{levels} on CustomServiceConnection {{ {leaves} }}")
    return "\n".join(lines)


LEVELS = (10, 20, 40, 80)


def test_a_fragment_chain_is_analysed_in_linear_work_into_exponential_figures() -> None:
    works = {n: work_of(fragment_chain(n)) for n in LEVELS}
    for n, work in works.items():
        # 2^n aliases, and a cost of 2^(n+1) totalCounts plus customServices: exactly,
        # until the figures saturate at CAP (n = 80).
        assert work.shape == Shape(depth=1, aliases=min(2**n, CAP)), n
        assert work.cost == min(1 + 2 ** (n + 1), CAP), n
        # Every fragment worked out once: no selection visited twice.
        assert work.shape_visits <= work.selections, n
        assert work.cost_visits <= work.selections, n
    for small, large in itertools.pairwise(LEVELS):
        assert works[large].nodes <= GROWTH * works[small].nodes
        for measure in MEASURES:
            before, after = getattr(works[small], measure), getattr(works[large], measure)
            assert after <= GROWTH * before, (measure, small, before, large, after)


# 2. generated documents with nested fragments


QUERY, CONNECTION, SERVICE = "Query", "CustomServiceConnection", "CustomService"
#: Types in the order a fragment may spread those of the types after it (never back).
TYPES = (QUERY, CONNECTION, SERVICE)
#: Selections of each type without fragments; an alias is always `x<field>`, so that one
#: response name is always one field with one set of arguments (the document stays valid).
LEAVES: dict[str, tuple[str, ...]] = {
    QUERY: ("__typename",),
    CONNECTION: ("totalCount", "pageInfo { hasNextPage endCursor }", "edges { cursor }"),
    SERVICE: ("id", "status", "version", "name", "executionTimeInMin", "requiredCustomServiceRefs"),
}
#: Where, in a selection of the first type, a selection of the second goes (`%s`).
ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    (QUERY, QUERY): ("%s", "... { %s }", "... on Query { %s }"),
    (QUERY, CONNECTION): (
        "customServices { %s }",
        "p1: customServices(first: 1) { %s }",
        "p100: customServices(first: 100) { %s }",
        "pn: customServices(first: $n) { %s }",
    ),
    (QUERY, SERVICE): ('customService(id: "cs-1") { %s }', "customServices { nodes { %s } }"),
    (CONNECTION, CONNECTION): ("%s", "... on CustomServiceConnection { %s }"),
    (CONNECTION, SERVICE): ("nodes { %s }", "edges { node { %s } }", "xnodes: nodes { %s }"),
    (SERVICE, SERVICE): (
        "%s",
        "... @include(if: true) { %s }",
        "requiredCustomServices { %s }",
        "xrequired: requiredCustomServices { %s }",
    ),
}
#: Python function calls: a fixed part, then so many per AST node. graphql-core's validation
#: checks the schema and sets up its ~30 rules (about 500 calls for `{ __typename }`), then
#: runs them in one parallel visit with TypeInfo: at most 60 calls a node beyond 1,000 over
#: 400 generated documents and their doubles (median 55). Its OverlappingFieldsCanBeMerged
#: rule compares the fields of one response name pairwise, and the fragments spread in one
#: selection pairwise, which stays within a constant per node here only because the
#: generator repeats a response name in one selection a few times at most (see the xfail
#: test at the end). The planner and the input texts are one TypeInfo visit each: at most
#: 11.5 calls a node beyond 100. The bounds are twice those figures, rounded up.
VALIDATION_FIXED, VALIDATION_PER_NODE = 1_000, 120
VISIT_FIXED, VISIT_PER_NODE = 100, 25


def linear_calls(work: Work) -> bool:
    """Whether the function calls of the analyses are within the bounds above."""
    return (
        work.validation_calls <= VALIDATION_FIXED + VALIDATION_PER_NODE * work.nodes
        and work.planner_calls <= VISIT_FIXED + VISIT_PER_NODE * work.nodes
        and work.input_text_calls <= VISIT_FIXED + VISIT_PER_NODE * work.nodes
    )


@dataclass(frozen=True)
class Fragment:
    name: str
    type: str
    body: str


@dataclass(frozen=True)
class Generated:
    operation: str
    fragments: tuple[Fragment, ...]

    def render(self, doubled: bool = False) -> str:
        """The document; `doubled`, every fragment's body written twice (so that what the
        last fragment selects doubles at every level of the chain)."""
        definitions = [self.operation]
        for fragment in self.fragments:
            body = f"{fragment.body} {fragment.body}" if doubled else fragment.body
            definitions.append(f"fragment {fragment.name} on {fragment.type} {{ {body} }}")
        text = "\n".join(definitions)
        if "$n" in text:
            text = text.replace("query {", "query($n: Int = 5) {", 1)
        return text


@st.composite
def leaf(draw: st.DrawFn, type_name: str) -> str:
    chosen = draw(st.sampled_from(LEAVES[type_name]))
    if draw(st.booleans()):
        return f"x{chosen.split()[0]}: {chosen}"
    return chosen


@st.composite
def spreads(draw: st.DrawFn, own: str, target: Fragment) -> str:
    """`target` spread (once or more) where a selection of `own` reaches its type."""
    route = draw(st.sampled_from(ROUTES[own, target.type]))
    inner = " ".join([f"...{target.name}"] * draw(st.integers(1, 3)))
    if draw(st.booleans()):
        inner = f"{inner} {draw(leaf(target.type))}"
    return route % inner


@st.composite
def bodies(draw: st.DrawFn, own: str, later: tuple[Fragment, ...]) -> str:
    """A fragment body: some leaves, the next fragment spread (so every fragment is used)
    and maybe spreads of later ones, in any order, some within inline fragments."""
    items = draw(st.lists(leaf(own), max_size=3))
    if later:
        items.append(draw(spreads(own, later[0])))
        for target in draw(st.lists(st.sampled_from(later), max_size=2)):
            items.append(draw(spreads(own, target)))
    if not items:
        items.append(LEAVES[own][0])
    items = list(draw(st.permutations(items)))
    if len(items) > 1 and draw(st.booleans()):
        cut = draw(st.integers(1, len(items) - 1))
        wrapper = draw(st.sampled_from(("... { %s }", f"... on {own} {{ %s }}")))
        items = [*items[:cut], wrapper % " ".join(items[cut:])]
    return " ".join(items)


@st.composite
def generated(draw: st.DrawFn) -> Generated:
    count = draw(st.integers(1, 7))
    drawn = draw(st.lists(st.sampled_from(TYPES), min_size=count, max_size=count))
    types = sorted(drawn, key=TYPES.index)
    fragments: list[Fragment] = []
    # Built from the last fragment back, so that each body can spread those after it.
    for index in reversed(range(count)):
        later = tuple(fragments)
        body = draw(bodies(types[index], later))
        fragments.insert(0, Fragment(f"F{index}", types[index], body))
    operation = f"query {{ {draw(spreads(QUERY, fragments[0]))} }}"
    return Generated(operation, tuple(fragments))


def test_the_generator_makes_the_documents_it_means() -> None:
    example = Generated(
        'query { customService(id: "cs-1") { ...F0 } }',
        (
            Fragment("F0", SERVICE, "id requiredCustomServices { ...F1 ...F1 }"),
            Fragment("F1", SERVICE, "xname: name"),
        ),
    )
    assert "{ id requiredCustomServices { ...F1 ...F1 } id requiredCustomServices" in (
        example.render(doubled=True)
    )
    single, double = work_of(example.render()), work_of(example.render(doubled=True))
    assert single.shape == Shape(depth=2, aliases=2)
    # Doubled: F1's two aliases, spread twice in each of F0's two halves.
    assert double.shape == Shape(depth=2, aliases=8)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(generated())
def test_generated_documents_with_nested_fragments_are_analysed_in_linear_work(
    document: Generated,
) -> None:
    single = work_of(document.render())
    double = work_of(document.render(doubled=True))
    # Doubling every body doubles what each fragment selects; the figures follow (saturating
    # at CAP), the work does not.
    assert double.shape.aliases >= single.shape.aliases
    assert double.cost >= single.cost
    for work in (single, double):
        # Each fragment's selections visited once for the limits and once for the cost,
        # whatever the page sizes it is spread under.
        assert work.shape_visits <= work.selections
        assert work.cost_visits <= work.selections
        assert linear_calls(work), work


# 3. a hostile document, through the whole pipeline


HOSTILE_LEVELS = 30


def test_a_hostile_fragment_chain_is_refused_after_little_work() -> None:
    work = work_of(fragment_chain(HOSTILE_LEVELS))
    # 2^30 aliases and a cost of 2^31 + 1: far past the limits, told as they are.
    assert work.shape.aliases == 2**HOSTILE_LEVELS > SETTINGS.max_aliases
    assert work.cost == 2 ** (HOSTILE_LEVELS + 1) + 1 > SETTINGS.max_query_cost
    # 64 selections, each visited once by each analysis: not 2^30.
    assert work.shape_visits <= work.selections <= 2 * HOSTILE_LEVELS + 4
    assert work.cost_visits <= work.selections
    assert linear_calls(work), work


def refusal(text: str, warm_up: str) -> tuple[dict[str, Any], int]:
    """The extensions of the one error the gateway's schema answers `text` with, and the
    function calls it took, counted after answering `warm_up` (another text: the pipeline
    caches its work by text). Without a request context, which the authentication gate lets
    through (the HTTP layer gives every request one): the stages after it are measured."""
    answers: list[Any] = []

    def answer(query: str) -> None:
        # Driven by hand rather than by an event loop, so that nothing else is counted:
        # a refusal never waits for anything.
        coroutine = GATEWAY.execute(query)
        try:
            coroutine.send(None)
        except StopIteration as done:
            answers.append(done.value)
            return
        coroutine.close()
        raise AssertionError("the refusal waited for something")

    counted = calls(lambda: answer(text), warm_up=lambda: answer(warm_up))
    result = answers[-1]
    assert result.data is None
    (error,) = result.errors
    return dict(error.extensions), counted


def test_the_pipeline_refuses_a_hostile_chain_by_its_aliases_and_by_its_cost() -> None:
    def chains(n: int) -> tuple[str, str]:
        return fragment_chain(n), fragment_chain(n, leaves="totalCount")

    warm_up = chains(HOSTILE_LEVELS - 1)
    hostile = chains(HOSTILE_LEVELS)
    by_aliases, aliases_calls = refusal(hostile[0], warm_up[0])
    assert by_aliases == {
        "code": "QUERY_TOO_COMPLEX",
        "aliases": 2**HOSTILE_LEVELS,
        "limit": SETTINGS.max_aliases,
    }
    # Without aliases it passes the limits and is refused by its cost, before execution.
    by_cost, cost_calls = refusal(hostile[1], warm_up[1])
    assert by_cost == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": 2**HOSTILE_LEVELS + 1,
        "limit": SETTINGS.max_query_cost,
    }
    # The whole request (parse, validation, limits, input texts, cost) in bounded work, and
    # twice the chain in at most GROWTH times the work (the figures saturate at CAP there).
    longer = chains(2 * HOSTILE_LEVELS)
    (code, longer_aliases_calls), (code_, longer_cost_calls) = [
        (extensions["code"], counted)
        for extensions, counted in (
            refusal(longer[0], warm_up[0]),
            refusal(longer[1], warm_up[1]),
        )
    ]
    assert code == code_ == "QUERY_TOO_COMPLEX"
    assert longer_aliases_calls <= GROWTH * aliases_calls
    assert longer_cost_calls <= GROWTH * cost_calls
    # (about 21,000 and 24,000 calls for these 288 nodes, parse and validation included.)
    assert max(aliases_calls, cost_calls) <= 50_000


# Shapes found not to be linear, and how they are bounded now


def page_sized_uses(n: int) -> str:
    """One fragment of n distinct fields on a connection, spread under n distinct pages."""
    uses = " ".join(f"p{i}: customServices(first: {i}) {{ ...F }}" for i in range(1, n + 1))
    fields_ = " ".join(f"t{i}: totalCount" for i in range(n))
    return f"query {{ {uses} }} fragment F on CustomServiceConnection {{ {fields_} }}"


def test_a_fragment_on_a_connection_is_costed_once_whatever_its_page_sizes() -> None:
    """The estimator once remembered a fragment's cost per page size, so n uses of an n-field
    fragment under n pages were n^2 visits (120, 440, 1,680, 6,560 for n = 10 … 80); a
    connection's cost is now a fixed part and a part per item of the page."""
    visits: dict[int, int] = {}
    costs: dict[int, int] = {}
    for n in LEVELS:
        document = parse(page_sized_uses(n))
        assert validation(document) == []
        costs[n], visits[n] = _estimate(SCHEMA, document, None, {}, PRICING)
    for small, large in itertools.pairwise(LEVELS):
        assert visits[large] <= GROWTH * visits[small], visits
    # Each use: its own field and the fragment's n fields, whatever its page.
    assert all(costs[n] == n * (1 + n) for n in LEVELS), costs


def repeated_fields(n: int) -> str:
    return "{ customServices { %s } }" % ("edges { node { id } } " * n)


def fragments_side_by_side(n: int) -> str:
    spreads_ = " ".join(f"...F{i}" for i in range(n))
    definitions = " ".join(
        f"fragment F{i} on CustomServiceConnection {{ totalCount }}" for i in range(n)
    )
    return f"{{ customServices {{ {spreads_} }} }} {definitions}"


#: graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of fields with one
#: response name, and every pair of fragments spread in one selection: quadratic (7,757,
#: 19,657, 58,457, 196,057 calls for n = 10 … 80 repeated fields) until its budget aborts the
#: validation. The pipeline lowers that budget to VALIDATION_BUDGET (20,000; graphql-core's
#: default of 500,000 let 300 repeated fields validate for 1.7 s), so the work is bounded by
#: a constant, then grows linearly (what is not charged: collecting the fields, the visit).
#: Measured: ~150,000 calls at the budget, then ~250 per repeated field.
BUDGET_CALLS, CALLS_PER_NODE = 250_000, 100


@pytest.mark.parametrize("make", [repeated_fields, fragments_side_by_side])
def test_validation_work_is_bounded_by_the_budget_then_linear(
    make: Callable[[int], str],
) -> None:
    for n in (10, 100, 300, 1000):
        document = parse(make(n))
        errors = validation(document)
        assert errors == [] or [e.message for e in errors] == ["Validation aborted."]
        work = calls(functools.partial(validation, document))
        assert work <= BUDGET_CALLS + CALLS_PER_NODE * count_nodes(document), (n, work)
    assert validation(parse(make(1000))) != []  # refused (QUERY_TOO_COMPLEX in the pipeline)
