"""A WebSocket lives no longer than the token that opened it.

The token is checked once, when the connection is initialised (app/http/graphql_view.py,
on_ws_connect); without more, a subscription would keep delivering, and the connection keep
running queries and mutations, long after the token expired. Here each connection gets a
timer that closes it with 4403 at the token's `exp` (cancelled when the connection ends), and
the clock is looked at again before an operation starts and before any message goes out, in
case the timer is late."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress

from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from app.graphql.context import Context

TOKEN_EXPIRED_CODE = 4403
TOKEN_EXPIRED_REASON = "The token has expired."
log = logging.getLogger(__name__)


class ExpiringTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, closed with 4403 when the connection's token expires."""

    expiry_timer: asyncio.Task[None] | None = None
    closing: asyncio.Task[None] | None = None
    expired = False

    def _expires_at(self) -> float | None:
        viewer = self.context.viewer_or_none
        return viewer.expires_at if viewer is not None else None

    def _has_expired(self) -> bool:
        viewer = self.context.viewer_or_none
        return viewer is not None and viewer.has_expired(time.time())

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        expires_at = self._expires_at()
        if self.connection_acknowledged and expires_at is not None and self.expiry_timer is None:
            self.expiry_timer = asyncio.create_task(self._close_at(expires_at))

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close_for_expiry()

    async def close_for_expiry(self) -> None:
        """Stop every operation (nothing more is sent) and close the socket with 4403."""
        if self.expired:
            return
        self.expired = True
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        log.info("websocket closed: its token expired")
        with suppress(WebSocketDisconnected, WebSocketDisconnect, RuntimeError):
            await self.websocket.close(code=TOKEN_EXPIRED_CODE, reason=TOKEN_EXPIRED_REASON)

    def _close_soon(self) -> None:
        """close_for_expiry in a task of its own: called from an operation's task, which the
        closing cancels."""
        if self.closing is None and not self.expired:
            self.closing = asyncio.create_task(self.close_for_expiry())

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and (self.expired or self._has_expired()):
            await self.close_for_expiry()
            return
        await super().handle_subscribe(message)

    async def send_message(self, message: Message) -> None:
        if self.expired or (self.connection_acknowledged and self._has_expired()):
            self._close_soon()
            return
        await super().send_message(message)

    async def shutdown(self) -> None:
        for task in (self.expiry_timer, self.closing):
            if task is not None and not task.done():
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        await super().shutdown()
