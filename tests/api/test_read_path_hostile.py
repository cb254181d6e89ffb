"""Hostile arguments to the roots the compiled path now reads (facility connections, tree
search, events): refused with the same 4xx-style codes on the lane's second sending as on the
first, never an internal error."""

from __future__ import annotations

import pytest

from tests.support.graphql import GraphQLClient

HUGE = "f" * 100_000


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            "query($f: ID!) { facilityCustomServiceConnections(facilityId: $f) { totalCount } }",
            {"f": HUGE},
        ),
        (
            "query($t: String) { searchLinkedServiceJobs(filter: {searchTerm: $t}) "
            "{ totalCount } }",
            {"t": HUGE},
        ),
        ("query($a: String) { events(after: $a) { totalCount } }", {"a": "not-a-cursor"}),
        (
            'query { facilityCustomServiceConnections(facilityId: "fac-1", first: -1) '
            "{ totalCount } }",
            {},
        ),
    ],
)
async def test_hostile_arguments_are_bad_requests_on_every_sending(
    gql: GraphQLClient, query: str, variables: dict[str, object]
) -> None:
    codes = []
    for _ in range(3):  # the first through Strawberry, the others through the read lane
        body = await gql.raw(query, variables)
        assert body.get("data") in (None, {}), body
        codes.append([e["extensions"]["code"] for e in body["errors"]])
    assert codes[0] == codes[1] == codes[2]
    assert set(codes[0]) <= {"BAD_REQUEST", "LIMIT_EXCEEDED"}, codes


async def test_a_tree_search_nested_past_its_bound_is_refused_on_every_sending(
    gql: GraphQLClient,
) -> None:
    nested = "{status: OPEN}"
    for _ in range(40):
        nested = f"{{or: [{nested}]}}"
    query = f"{{ searchLinkedServiceJobs(filter: {nested}) {{ totalCount }} }}"
    codes = []
    for _ in range(3):
        body = await gql.raw(query)
        codes.append(sorted({e["extensions"]["code"] for e in body["errors"]}))
    assert codes[0] == codes[1] == codes[2]
    assert "INTERNAL" not in codes[0] and codes[0], codes
