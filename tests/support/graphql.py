"""A tiny GraphQL client for tests: posts to the real ASGI app and fails on unexpected errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from starlette.applications import Starlette

from app.auth import issue_token
from app.graphql.pipeline.lane import ReadLane
from app.graphql.schema import GatewaySchema
from app.settings import Settings


class GraphQLError(AssertionError):
    pass


def lane_of(app: Starlette) -> ReadLane:
    """The read lane of an app's /graphql (app/graphql/pipeline/lane.py)."""
    graphql = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    schema = graphql.endpoint.schema  # type: ignore[attr-defined]
    assert isinstance(schema, GatewaySchema) and schema.lane is not None
    return schema.lane


class GraphQLClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        *,
        tenant: str | None,
        facilities: Sequence[str] | None = None,
        token: str | None = None,
    ) -> None:
        self.http = http
        self.settings = settings
        self.tenant = tenant
        if token is None and tenant is not None:
            token = issue_token(settings, tenant=tenant, facilities=facilities)
        self.token = token

    def as_tenant(self, tenant: str, facilities: Sequence[str] | None = None) -> GraphQLClient:
        return GraphQLClient(self.http, self.settings, tenant=tenant, facilities=facilities)

    def anonymous(self) -> GraphQLClient:
        return GraphQLClient(self.http, self.settings, tenant=None)

    def with_token(self, token: str) -> GraphQLClient:
        return GraphQLClient(self.http, self.settings, tenant=None, token=token)

    async def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Data of a successful operation; raises on any top-level error."""
        body = await self.raw(query, variables, **kwargs)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def errors(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Top-level errors of an operation that must fail."""
        body = await self.raw(query, variables, **kwargs)
        assert body.get("errors"), f"expected errors, got {body}"
        errors: list[dict[str, Any]] = body["errors"]
        return errors


def codes(errors: Sequence[dict[str, Any]]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in errors]
