"""Authentication, error masking with request ids, limits and the HTTP surface."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.http.app import create_app
from app.settings import Settings
from tests.api.test_custom_services import create
from tests.support.graphql import GraphQLClient, codes

QUERY = "{ customServices { totalCount } }"


async def test_no_token_is_unauthenticated_for_every_operation(gql: GraphQLClient) -> None:
    anonymous = gql.anonymous()
    for operation in (
        QUERY,
        "{ __typename }",
        "mutation { __typename }",
        "{ __schema { types { name } } }",
    ):
        errors = await anonymous.errors(operation)
        assert codes(errors) == ["UNAUTHENTICATED"]


async def test_anonymous_callers_learn_nothing_about_the_schema(gql: GraphQLClient) -> None:
    errors = await gql.anonymous().errors("{ noSuchField }")
    assert codes(errors) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer ", "Token abc"],
)
async def test_malformed_credentials_are_unauthenticated(
    http: httpx.AsyncClient, header: str
) -> None:
    response = await http.post("/graphql", json={"query": QUERY}, headers={"Authorization": header})
    assert codes(response.json()["errors"]) == ["UNAUTHENTICATED"]


async def test_an_expired_token_is_unauthenticated(gql: GraphQLClient, settings: Settings) -> None:
    expired = jwt.encode(
        {"sub": "x", "tenant": "acme", "exp": int(time.time()) - 10},
        settings.signing_key,
        algorithm="HS256",
    )
    errors = await gql.with_token(expired).errors(QUERY)
    assert codes(errors) == ["UNAUTHENTICATED"]
    assert errors[0]["message"] == "The token has expired."


async def test_a_token_signed_with_another_key_is_unauthenticated(gql: GraphQLClient) -> None:
    forged = jwt.encode(
        {"sub": "x", "tenant": "acme", "exp": int(time.time()) + 60},
        "another-secret-that-is-also-long-enough-to-sign",
        algorithm="HS256",
    )
    assert codes(await gql.with_token(forged).errors(QUERY)) == ["UNAUTHENTICATED"]


async def test_a_token_without_a_tenant_is_unauthenticated(
    gql: GraphQLClient, settings: Settings
) -> None:
    token = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, settings.signing_key)
    assert codes(await gql.with_token(token).errors(QUERY)) == ["UNAUTHENTICATED"]


async def test_an_unsigned_token_is_refused(gql: GraphQLClient) -> None:
    unsigned = jwt.encode(
        {"tenant": "acme", "exp": int(time.time()) + 60}, key="", algorithm="none"
    )
    assert codes(await gql.with_token(unsigned).errors(QUERY)) == ["UNAUTHENTICATED"]


async def test_a_facility_scoped_caller_cannot_change_tenant_blueprints(
    gql: GraphQLClient,
) -> None:
    scoped = gql.as_tenant("acme", facilities=["fac-1"])
    errors = await scoped.errors(
        'mutation { createCustomService(input: {nameLocalized: {en_US: "x"}}) '
        "{ userErrors { code } } }"
    )
    assert codes(errors) == ["FORBIDDEN"]
    assert (await gql(QUERY))["customServices"]["totalCount"] == 0


async def test_unexpected_failures_are_masked_and_logged_with_the_request_id(
    gql: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from app.repositories.custom_services import CustomServiceRepository

    async def explode(*_: object, **__: object) -> None:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    from app.graphql.custom_services import queries

    # The page's read on both paths: the compiled read path's and the resolver's.
    monkeypatch.setattr(queries, "service_page", explode)
    monkeypatch.setattr(CustomServiceRepository, "list_page", explode)
    with caplog.at_level(logging.ERROR, logger="app.graphql"):
        response = await gql.http.post(
            "/graphql",
            json={"query": "{ customServices { totalCount } }"},
            headers={"Authorization": f"Bearer {gql.token}", "X-Request-ID": "req-12345678"},
        )
    body = response.json()
    assert response.headers["x-request-id"] == "req-12345678"
    error = body["errors"][0]
    assert error["message"] == "Internal server error (request id req-12345678)."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-12345678"}
    assert "secret" not in response.text
    assert "request_id=req-12345678" in caplog.text
    assert "secret connection string" in caplog.text


async def test_every_response_carries_a_request_id(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32


def nested(depth: int) -> str:
    """A query `depth` levels deep through single objects (job → its link → its job …), so
    only the depth limit, not the cost of lists, decides."""
    fields = ['serviceJob(id: "x")'] + [
        "serviceJobLink" if level % 2 else "serviceJob" for level in range(1, depth)
    ]
    inner = "id"
    for field in reversed(fields):
        inner = f"{field} {{ {inner} }}"
    return f"{{ {inner} }}"


async def test_depth_is_limited(gql: GraphQLClient, settings: Settings) -> None:
    # Depth counts the root field: a 25-level tree plus job, line items and article is 30.
    await gql(nested(settings.max_query_depth))
    errors = await gql.errors(nested(settings.max_query_depth + 1))
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]


async def test_aliases_are_limited(gql: GraphQLClient, settings: Settings) -> None:
    many = " ".join(f"a{i}: __typename" for i in range(settings.max_aliases + 1))
    assert codes(await gql.errors(f"{{ {many} }}")) == ["QUERY_TOO_COMPLEX"]


async def test_tokens_are_limited(gql: GraphQLClient, settings: Settings) -> None:
    huge = "{ " + " ".join(["__typename"] * settings.max_tokens) + " }"
    assert codes(await gql.errors(huge)) == ["QUERY_TOO_COMPLEX"]


async def test_page_size_is_limited(gql: GraphQLClient) -> None:
    errors = await gql.errors("{ customServices(first: 1000) { totalCount } }")
    assert codes(errors) == ["BAD_REQUEST"]


async def test_field_suggestions_are_off_in_production(gql: GraphQLClient) -> None:
    errors = await gql.errors("{ customServicez { totalCount } }")
    assert "Did you mean" not in errors[0]["message"]
    assert codes(errors) == ["BAD_REQUEST"]


async def test_queries_work_over_get_and_mutations_are_refused(gql: GraphQLClient) -> None:
    headers = {"Authorization": f"Bearer {gql.token}"}
    response = await gql.http.get("/graphql", params={"query": QUERY}, headers=headers)
    assert response.json() == {"data": {"customServices": {"totalCount": 0}}}
    mutation = await gql.http.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers=headers
    )
    assert mutation.status_code == 400
    assert (await gql(QUERY))["customServices"]["totalCount"] == 0


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).json() == {"status": "ok", "database": "reachable"}


async def test_graphiql_is_not_served_in_production(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in response.text.lower()


async def test_tokens_from_the_cli_helper_are_accepted(
    gql: GraphQLClient, settings: Settings
) -> None:
    await create(gql)
    token = issue_token(settings, tenant="acme", ttl_seconds=60)
    data = await gql.with_token(token)(QUERY)
    assert data["customServices"]["totalCount"] == 1


async def test_request_bodies_are_limited(gql: GraphQLClient, settings: Settings) -> None:
    padding = " " * (settings.max_request_bytes + 1)
    response = await gql.http.post(
        "/graphql",
        content=b'{"query": "{ __typename }' + padding.encode() + b'"}',
        headers={"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert codes(response.json()["errors"]) == ["BAD_REQUEST"]
    assert (await gql("{ __typename }")) == {"__typename": "Query"}


async def test_a_body_without_a_length_is_cut_off_at_the_limit(
    gql: GraphQLClient, settings: Settings
) -> None:
    async def chunks() -> Any:
        yield b'{"query": "{ __typename }'
        for _ in range(settings.max_request_bytes // 65536 + 2):
            yield b" " * 65536
        yield b'"}'

    response = await gql.http.post(
        "/graphql",
        content=chunks(),
        headers={"Authorization": f"Bearer {gql.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_batched_requests_are_refused(gql: GraphQLClient) -> None:
    response = await gql.http.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}],
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "introspection",
    ["{ __schema { types { name } } }", '{ __type(name: "ServiceJob") { name } }'],
)
async def test_introspection_is_off_in_production_unless_enabled(
    settings: Settings, engine: AsyncEngine, introspection: str
) -> None:
    async def answer(enabled: bool | None) -> dict[str, Any]:
        app = create_app(settings.model_copy(update={"introspection": enabled}), engine)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post(
                "/graphql",
                json={"query": introspection},
                headers={"Authorization": f"Bearer {issue_token(settings, tenant='acme')}"},
            )
        return dict(response.json())

    assert settings.app_env == "production"
    refused = await answer(None)
    assert refused.get("data") is None
    assert set(codes(refused["errors"])) == {"BAD_REQUEST"}
    assert "introspection has been disabled" in refused["errors"][0]["message"]
    allowed = await answer(True)
    assert "errors" not in allowed
    assert allowed["data"]
