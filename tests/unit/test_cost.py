"""Query cost: a whole tree is affordable however deep; lists multiplied by lists are not."""

from __future__ import annotations

from graphql import parse

from app.graphql.cost import Pricing, estimate_cost, page_variables
from app.graphql.schema import build_schema
from app.settings import Settings
from bench.run import FLAT, nested

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
SCHEMA = build_schema(SETTINGS)._schema
PRICING = Pricing(SETTINGS.default_page_size, SETTINGS.max_page_size, SETTINGS.max_jobs_per_tree)


def cost(query: str, **variables: object) -> int:
    return estimate_cost(SCHEMA, parse(query), None, variables, PRICING)


def test_a_whole_tree_costs_the_same_however_it_is_nested() -> None:
    deep, flat = cost(nested(25), id="x"), cost(FLAT, id="x")
    assert deep < SETTINGS.max_query_cost and flat < SETTINGS.max_query_cost
    assert cost(nested(3), id="x") <= deep <= cost(nested(3), id="x") * 1.01


def test_lists_of_lists_multiply() -> None:
    query = (
        "{ customServices(first: 100) { edges { node { requiredCustomServices {"
        " requiredCustomServices { requiredCustomServices { id } } } } } } }"
    )
    assert cost(query) > SETTINGS.max_query_cost
    smaller = query.replace("first: 100", "first: 1")
    assert cost(query) >= 99 * cost(smaller)


def test_page_size_comes_from_first_or_its_variable() -> None:
    query = "query($n: Int) { serviceJobs(first: $n) { nodes { id status } } }"
    assert cost(query, n=5) < cost(query, n=50) < cost(query) * 10
    assert cost(query, n=10_000) == cost(query, n=100)  # capped by the page limit


def test_trees_under_a_list_are_priced_per_tree() -> None:
    query = (
        "{ serviceJobs(first: 100) { nodes { linkedServiceJobs { allServiceJobLinks"
        " { id serviceJob { id lineItems { id } } } } } } }"
    )
    assert cost(query) > SETTINGS.max_query_cost


def test_a_variables_default_is_priced_when_the_request_leaves_it_out() -> None:
    query = "query($n: Int = 100) { serviceJobs(first: $n) { nodes { id status } } }"
    assert cost(query) == cost(query, n=100) > cost(query, n=1)
    assert cost(query, n=None) == cost(query.replace(" = 100", ""))  # explicit null: no page


def test_a_backward_page_is_priced_like_a_forward_one() -> None:
    forward = "query($n: Int) { serviceJobs(first: $n) { nodes { id status } } }"
    backward = forward.replace("first:", "last:")
    assert cost(backward, n=100) == cost(forward, n=100) > cost(backward, n=1)
    assert cost(backward, n=10_000) == cost(forward, n=100)  # capped by the page limit
    both = "{ serviceJobs(first: 1, last: 100) { nodes { id status } } }"
    assert cost(both) == cost(forward, n=100)  # the larger of the two


def test_page_variables_are_those_given_as_first_or_last_anywhere() -> None:
    document = parse(
        "query($a: Int, $b: Int, $c: Int, $id: ID!) { serviceJobs(first: $a) { nodes { id } } "
        "last: serviceJobs(last: $c) { nodes { id } } "
        "linkedServiceJobs(id: $id) { id } ...more } "
        "fragment more on Query { customServices(first: $b) { totalCount } }"
    )
    assert page_variables(document) == ("a", "b", "c")
