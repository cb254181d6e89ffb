"""Counting SQL statements per request (a response header and the benchmark read it)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: A one-element list per request: shared by the tasks and greenlets the request spawns.
_counter: ContextVar[list[int] | None] = ContextVar("sql_statements", default=None)
HEADER = "x-sql-statements"


def _count(*_: Any) -> None:
    counter = _counter.get()
    if counter is not None:
        counter[0] += 1


def statements_so_far() -> int | None:
    """The statements of the request being served (None outside a request)."""
    counter = _counter.get()
    return None if counter is None else counter[0]


def count_statements(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "before_cursor_execute", _count)


class StatementCountMiddleware:
    """Adds `X-SQL-Statements` to every HTTP response: how many statements it took."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = [0]
        token = _counter.set(counter)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = str(counter[0])
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _counter.reset(token)
