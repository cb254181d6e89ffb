"""graphql-transport-ws messages leave as text frames: browsers hand binary frames to GraphiQL's
graphql-ws client as Blobs, which it rejects ("Message is missing the 'type' property")."""

from __future__ import annotations

from typing import Any, cast

import orjson
import pytest
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected

from app.http.graphql_view import GatewayGraphQL, TextFrameWebSocketAdapter


class FakeSocket:
    def __init__(self, *, gone: bool = False) -> None:
        self.frames: list[tuple[str, Any]] = []
        self.gone = gone

    async def send_text(self, data: str) -> None:
        if self.gone:
            raise WebSocketDisconnect(1001)
        self.frames.append(("text", data))

    async def send_bytes(self, data: bytes) -> None:
        self.frames.append(("bytes", data))


def test_the_view_uses_the_text_frame_adapter() -> None:
    assert GatewayGraphQL.websocket_adapter_class is TextFrameWebSocketAdapter


async def test_messages_are_sent_as_json_text() -> None:
    socket = FakeSocket()
    adapter = TextFrameWebSocketAdapter(cast(Any, None), cast(Any, None), cast(Any, socket))
    message = {"type": "next", "id": "1", "payload": {"data": {"name": "Stickerei \u00e4"}}}
    await adapter.send_json(message)
    assert len(socket.frames) == 1
    kind, data = socket.frames[0]
    assert kind == "text" and isinstance(data, str)
    assert orjson.loads(data) == message


async def test_a_closed_socket_is_reported_as_strawberry_expects() -> None:
    adapter = TextFrameWebSocketAdapter(
        cast(Any, None), cast(Any, None), cast(Any, FakeSocket(gone=True))
    )
    with pytest.raises(WebSocketDisconnected):
        await adapter.send_json({"type": "ping"})
