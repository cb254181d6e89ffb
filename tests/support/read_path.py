"""What the read path's differential tests share: an app with the compiled path and one
without it on the same database, and the statements a compiled read takes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.graphql import fast_path
from app.http.app import create_app
from app.settings import Settings
from tests.conftest import StatementCounter

#: The app with the compiled path, the one without it, and the caller's headers.
Clients = tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]]


@asynccontextmanager
async def both_paths(
    settings: Settings, engine: AsyncEngine, facilities: list[str] | None = None
) -> AsyncIterator[Clients]:
    """Clients of the app with and without the compiled path (FAST_TREE_PATH), as a caller of
    tenant acme (of these facilities only, when given)."""
    fast = create_app(settings, engine)
    plain = create_app(settings.model_copy(update={"fast_tree_path": False}), engine)
    token = issue_token(settings, tenant="acme", facilities=facilities)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=fast), base_url="http://t") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://t") as b,
    ):
        yield a, b, headers


async def assert_compiled_read(
    clients: Clients,
    sql: StatementCounter,
    transactions: list[str],
    query: str,
    variables: dict[str, Any],
    statements: int,
) -> None:
    """The query answers without errors through the compiled path, in `statements` SQL
    statements (the response header says so too) and without a transaction."""
    fast, _, headers = clients
    before = fast_path.OUTCOMES["compiled"]
    sql.reset()
    response = await fast.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert "errors" not in response.json()
    assert sql.count == statements, sql.statements
    assert response.headers["x-sql-statements"] == str(statements)
    assert transactions == [], transactions
    assert fast_path.OUTCOMES["compiled"] == before + 1
