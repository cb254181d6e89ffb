"""GraphQL over HTTP: application/graphql-response+json when asked for (request errors are
4xx without `data`), application/json (always 200) otherwise."""

from __future__ import annotations

import pytest

from app.http.media import prefers_graphql_response
from tests.support.graphql import GraphQLClient

MODERN = "application/graphql-response+json, application/json;q=0.9"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (MODERN, True),
        ("application/graphql-response+json", True),
        ("application/json", False),
        ("*/*", False),
        (None, False),
        ("application/json, application/graphql-response+json;q=0.5", False),
    ],
)
def test_content_negotiation(accept: str | None, expected: bool) -> None:
    assert prefers_graphql_response(accept) is expected


async def post(
    gql: GraphQLClient, query: str, accept: str, token: bool = True
) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {gql.token}"
    response = await gql.http.post("/graphql", json={"query": query}, headers=headers)
    return response.status_code, response.headers["content-type"], response.json()


async def test_a_result_is_200_in_the_modern_media_type(gql: GraphQLClient) -> None:
    status, media, body = await post(gql, "{ __typename }", MODERN)
    assert (status, media, body) == (
        200,
        "application/graphql-response+json",
        {"data": {"__typename": "Query"}},
    )


@pytest.mark.parametrize(
    ("query", "token", "status"),
    [("{ __typename", True, 400), ("{ nope }", True, 400), ("{ __typename }", False, 401)],
)
async def test_request_errors_are_4xx_without_data(
    gql: GraphQLClient, query: str, token: bool, status: int
) -> None:
    got, media, body = await post(gql, query, MODERN, token)
    assert got == status
    assert media == "application/graphql-response+json"
    assert "data" not in body and body["errors"]


async def test_plain_json_clients_keep_getting_200(gql: GraphQLClient) -> None:
    status, media, body = await post(gql, "{ __typename", "application/json")
    assert (status, media) == (200, "application/json")
    assert body["data"] is None and body["errors"]
