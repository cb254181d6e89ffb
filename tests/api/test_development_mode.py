"""Development mode: GraphiQL is served offline and pre-authorised for the sample tenant, to
loopback callers only; the API itself still needs a token."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.http.graphiql import external_urls
from app.http.graphql_view import SAMPLE_TREE_PATH
from app.settings import Settings
from tests.support.development import client_from
from tests.support.graphiql import initial_headers


@pytest.fixture
async def local(dev_settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_from(dev_settings, engine, "127.0.0.1"):
        yield client


@pytest.fixture
async def remote(dev_settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_from(dev_settings, engine, "203.0.113.9"):
        yield client


async def graphiql(client: httpx.AsyncClient) -> str:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


async def test_graphiql_is_offline_and_its_assets_are_served(local: httpx.AsyncClient) -> None:
    page = await graphiql(local)
    assert external_urls(page) == []
    assets = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)"', page)
    assert len(assets) == 7
    for asset in assets:
        assert (await local.get(asset)).status_code == 200


async def test_the_local_page_carries_a_token_for_the_sample_tenant(
    local: httpx.AsyncClient,
) -> None:
    page = await graphiql(local)
    # In GraphiQL's Headers tab, as JSON a person can copy.
    headers = json.loads(initial_headers(page))
    assert list(headers) == ["Authorization"]
    assert headers["Authorization"].startswith("Bearer ")
    response = await local.post(
        "/graphql",
        json={"query": "{ customServices { totalCount } }"},
        headers=headers,
    )
    assert response.json() == {"data": {"customServices": {"totalCount": 0}}}
    assert "SampleCustomServices" in page
    # The same token on a reload: GraphiQL keeps a tab per query and headers it has seen.
    assert json.loads(initial_headers(await graphiql(local))) == headers


async def test_the_api_still_needs_a_token_in_development(local: httpx.AsyncClient) -> None:
    response = await local.post("/graphql", json={"query": "{ __typename }"})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_landing_text_fits_the_editor_and_links_the_sample_tree(
    local: httpx.AsyncClient,
) -> None:
    page = await graphiql(local)
    literal = re.search(r"const EXAMPLE_QUERY = (\".*?\");\n", page)
    assert literal is not None
    comments = [line for line in json.loads(literal[1]).splitlines() if line.startswith("#")]
    assert comments and max(len(line) for line in comments) <= 52
    assert any(line == f"# {SAMPLE_TREE_PATH}" for line in comments)
    assert f'{{href: "{SAMPLE_TREE_PATH}", target: "_blank"' in page


async def test_a_non_loopback_caller_gets_no_token(remote: httpx.AsyncClient) -> None:
    page = await graphiql(remote)
    assert json.loads(initial_headers(page)) == {"Authorization": "Bearer <JWT>"}
    assert SAMPLE_TREE_PATH not in page


async def test_field_suggestions_help_in_development(
    local: httpx.AsyncClient, dev_settings: Settings
) -> None:
    from app.auth import issue_token

    token = issue_token(dev_settings, tenant="demo")
    response = await local.post(
        "/graphql",
        json={"query": "{ customServicez { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "Did you mean" in response.json()["errors"][0]["message"]


async def test_production_serves_graphiql_only_when_asked(
    dev_settings: Settings, engine: AsyncEngine
) -> None:
    production = dev_settings.model_copy(update={"app_env": "production"})
    async for client in client_from(production, engine, "127.0.0.1"):
        response = await client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in response.text.lower()
    enabled = production.model_copy(update={"graphiql": True})
    async for client in client_from(enabled, engine, "127.0.0.1"):
        page = await graphiql(client)
        assert external_urls(page) == []
        # No token comes with it, even for a caller on this machine: the tab says where to
        # put one, and the API still refuses requests without one.
        assert json.loads(initial_headers(page)) == {"Authorization": "Bearer <JWT>"}
        assert SAMPLE_TREE_PATH not in page
        refused = await client.post("/graphql", json={"query": "{ __typename }"})
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    disabled = dev_settings.model_copy(update={"graphiql": False})
    async for client in client_from(disabled, engine, "127.0.0.1"):
        response = await client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in response.text.lower()
