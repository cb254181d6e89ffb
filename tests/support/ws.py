"""A small graphql-transport-ws client for tests, on the `websockets` library."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class GraphQLWebSocket:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)

    @property
    def local_port(self) -> int:
        return int(self.socket.local_address[1])

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, within: float = 5) -> dict[str, Any]:
        async with asyncio.timeout(within):
            message: dict[str, Any] = json.loads(await self.socket.recv())
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        ident = str(next(self._ids))
        await self.send(
            {
                "id": ident,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return ident

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """A query or mutation over the socket: its one `next` payload, then `complete`."""
        ident = await self.subscribe(query, variables)
        result = await self.receive()
        assert result["id"] == ident and result["type"] == "next", result
        done = await self.receive()
        assert done == {"id": ident, "type": "complete"}, done
        payload: dict[str, Any] = result["payload"]
        return payload


@asynccontextmanager
async def graphql_ws(
    url: str, token: str | None, *, origin: str | None = None, init: bool = True
) -> AsyncIterator[GraphQLWebSocket]:
    headers = {"Origin": origin} if origin else {}
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers) as socket:  # type: ignore[list-item]
        client = GraphQLWebSocket(socket)
        if init:
            payload = {"Authorization": f"Bearer {token}"} if token else {}
            await client.send({"type": "connection_init", "payload": payload})
            ack = await client.receive()
            assert ack["type"] == "connection_ack", ack
        yield client
