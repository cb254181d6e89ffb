"""The WebSocket handler's own look at the clock, for when its expiry timer is late: an
operation asked for after the token's `exp` never starts, a message due after it never goes
out, and either closes the socket with 4403. (The timer itself is tested against a real server
in tests/api/test_hostile_sockets_and_uploads.py.)"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

from strawberry.types.unset import UNSET

from app.domain.access import Viewer
from app.graphql.context import Context
from app.http.socket_expiry import ExpiringTransportWSHandler


@dataclass
class FakeSocket:
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: tuple[int, str] | None = None

    async def send_json(self, message: dict[str, Any]) -> None:
        assert self.closed is None, "sent on a closed socket"
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


@dataclass
class FakeContext:
    viewer_or_none: Viewer | None
    connection_params: dict[str, object] | None = None


class FakeView:
    async def on_ws_connect(self, context: object) -> object:
        return UNSET


class FakeSchema:
    def __init__(self) -> None:
        self.streamed: list[str] = []

    async def stream(self, query: str, **_: object) -> object:
        self.streamed.append(query)
        raise AssertionError("no operation may start after the token expired")


async def acknowledged(lifetime: float) -> tuple[ExpiringTransportWSHandler, FakeSocket, Any]:
    viewer = Viewer("u1", "acme", expires_at=time.time() + lifetime)
    socket, context, schema = FakeSocket(), FakeContext(viewer), FakeSchema()
    handler = ExpiringTransportWSHandler(
        view=cast(Any, FakeView()),
        websocket=cast(Any, socket),
        context=cast(Context, context),
        root_value=None,
        schema=cast(Any, schema),
        connection_init_wait_timeout=timedelta(seconds=60),
    )
    await handler.handle_connection_init({"type": "connection_init", "payload": {}})
    assert socket.sent == [{"type": "connection_ack"}]
    assert handler.expiry_timer is not None and not handler.expiry_timer.done()
    # The token runs out while the timer (set for a minute from now) is still asleep.
    context.viewer_or_none = replace(viewer, expires_at=time.time() - 1)
    return handler, socket, schema


async def test_an_operation_asked_for_after_expiry_closes_the_socket_instead() -> None:
    handler, socket, schema = await acknowledged(60)
    await handler.handle_subscribe({"id": "1", "type": "subscribe", "payload": {"query": "{ a }"}})
    assert socket.closed == (4403, "The token has expired.")
    assert schema.streamed == [] and handler.operations == {}
    assert socket.sent == [{"type": "connection_ack"}]
    timer = handler.expiry_timer
    await handler.shutdown()
    assert timer is not None and timer.cancelled()


async def test_a_message_due_after_expiry_is_not_sent_and_the_socket_closes() -> None:
    handler, socket, _ = await acknowledged(60)
    await handler.send_message({"id": "1", "type": "next", "payload": {"data": {"a": 1}}})
    await handler.send_message({"type": "pong"})
    assert handler.closing is not None
    await handler.closing
    assert socket.sent == [{"type": "connection_ack"}]
    assert socket.closed == (4403, "The token has expired.")
    await handler.shutdown()


async def test_the_timer_ends_with_the_connection() -> None:
    handler, socket, _ = await acknowledged(60)
    assert handler.expiry_timer is not None
    await handler.shutdown()
    assert handler.expiry_timer.cancelled()
    assert socket.closed is None
