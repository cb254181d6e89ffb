"""Development mode in tests: its settings, and clients calling the app from a chosen host
(development mode pre-authorises loopback callers only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.http.app import create_app
from app.settings import Settings


def development(settings: Settings) -> Settings:
    return settings.model_copy(update={"app_env": "development", "introspection": None})


async def client_from(
    settings: Settings, engine: AsyncEngine, host: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app whose requests come from `host`."""
    transport = httpx.ASGITransport(app=create_app(settings, engine), client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client
