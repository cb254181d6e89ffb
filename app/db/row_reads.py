"""Row reads for the read path: a statement's driver rows, on a pooled connection, with as
little between the driver and the caller as each deployment allows.

An ORM session around a one-row read cost ~1.8 ms of Python on SQLite (making the session,
its connection and its transaction, closing them); SQLAlchemy's Core execution alone still
~0.8 ms. `direct` reads check a connection out of the engine's own pool (its ping and its
limits included) and send the statement through the driver's own calls: ~0.3 ms. They take
statements whose every parameter is a named `bindparam` (no literal values, no expanding IN:
pass a list to an `= ANY(...)` or `json_each` parameter instead, see tree_reads), compiled
once per statement and dialect. A connection that failed as unavailable is invalidated, as
SQLAlchemy would. Each statement is announced to the engine's `before_cursor_execute`
listeners, which count statements per request (app/db/statements.py) and in the tests.

Direct reads need what only SQLAlchemy's execution gives otherwise: they are off behind
PgBouncer (reads there run in a transaction, see engine.create_read_session_factory) and
while statements are traced (spans come from SQLAlchemy's cursor events). Then `RowReads`
runs the same statements through a Core connection of the read engine.

On PostgreSQL a direct read connection is held between reads for a moment (ConnectionHold)
instead of going back to the pool after each read: a checkout and a check-in, with their
events, cost a one-job read about a tenth of its Python. The hold keeps the pool's rules: it
uses a connection again without a ping only when the pool would (used within its ping
interval, and no connection invalidated since), and gives it back with its real time of last
use.

One write goes this way too: the fair use charge (app/repositories/fair_use.py), an atomic
upsert RETURNING its row, sent alone in autocommit where a session wrapped it in BEGIN and
COMMIT (three round trips for one statement, on every request)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.util import greenlet_spawn

from app.db.errors import database_unavailable

Rows = list[Sequence[Any]]
#: What row reads take: a select, or a text with its result columns (an upsert RETURNING).
Statement: TypeAlias = Select[Any] | TextualSelect


class ReadConnection(Protocol):
    #: Whether the database is PostgreSQL (else SQLite): list parameters differ.
    postgresql: bool

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> tuple[list[str], Rows]:
        """The statement's column names and driver rows."""
        ...


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement compiled for one dialect: its text, result columns and parameter order."""

    text: str
    names: list[str]
    order: tuple[str, ...]

    @classmethod
    def compile(cls, statement: Statement, dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("direct reads take named bindparams only (no expanding IN)")
        names = list(statement.selected_columns.keys())
        return cls(compiled.string, names, tuple(compiled.positiontup or ()))


class _DriverConnection:
    def __init__(self, reads: RowReads, driver: Any) -> None:
        self.reads = reads
        self.driver = driver
        self.postgresql = reads.postgresql

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> tuple[list[str], Rows]:
        compiled = self.reads.compiled(statement)
        arguments = [parameters[name] for name in compiled.order]
        # Announced as SQLAlchemy's execution announces a statement (without a connection
        # or an execution context), so that what counts statements counts this one.
        self.reads.announce(None, None, compiled.text, arguments, None, False)
        if self.reads.postgresql:
            records = await self.driver.fetch(compiled.text, *arguments)
        else:
            records = await self.driver.execute_fetchall(compiled.text, arguments)
        return compiled.names, list(records)


class _CoreConnection:
    def __init__(self, connection: AsyncConnection, postgresql: bool) -> None:
        self.connection = connection
        self.postgresql = postgresql

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> tuple[list[str], Rows]:
        result = await self.connection.execute(statement, dict(parameters))
        try:
            return list(result.keys()), list(result.cursor.fetchall())
        finally:
            result.close()


def _closed(driver: Any) -> bool:
    """Whether a driver connection knows it is closed (asyncpg's does; aiosqlite's does not
    say, and a file does not go away)."""
    is_closed = getattr(driver, "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


#: Compiled statements kept per RowReads; statements are few (one per column set and read).
MAX_COMPILED = 512

#: Where a pooled connection's record keeps when it was last used and returned
#: (time.monotonic()): the pool's ping rule reads it (app/db/engine.py, IdlePing).
RETURNED = "jobtree_returned"
#: How long a read connection is held between reads at most (ConnectionHold).
HOLD_SECONDS = 0.5


class PingRule(Protocol):
    """When the pool pings a connection before using it again (app/db/engine.py)."""

    #: A connection idle this long (seconds) is pinged.
    after: float
    #: Connections returned before this moment (time.monotonic()) are pinged.
    distrust_before: float


class ConnectionHold:
    """Read connections kept out of the pool between reads, most recently used first.

    A connection is used again only while the pool would use it without a ping (used less
    than `seconds` ago, at most the ping interval, and no connection of the pool invalidated
    since) and while its driver does not know it closed; otherwise it goes back to the pool,
    with the time of its last use, and the pool's own rule decides. At most `most`
    connections are held; a timer gives back those idle for `seconds`, so connections held
    after a burst are the pool's again within two intervals, for sessions to use. When the
    engine is disposed, the held connections are closed with the pool's."""

    def __init__(self, engine: AsyncEngine, pings: PingRule, most: int) -> None:
        self.pings = pings
        self.seconds = min(HOLD_SECONDS, pings.after)
        self.most = most
        #: (connection, when it was last used), in the order of that time.
        self._held: list[tuple[PoolProxiedConnection, float]] = []
        self._sweeping: asyncio.TimerHandle | None = None
        self._returning: set[asyncio.Future[None]] = set()
        event.listen(engine.sync_engine, "engine_disposed", self._disposed)

    @property
    def held(self) -> int:
        """How many connections are held now."""
        return len(self._held)

    async def take(self) -> PoolProxiedConnection | None:
        """The most recently used held connection the pool would use without a ping, else
        None; the others go back to the pool (all older ones are stale too)."""
        held = self._held
        if not held:
            return None
        pooled, since = held.pop()
        if self._usable(since, time.monotonic()) and not _closed(pooled.driver_connection):
            return pooled
        stale = [*held, (pooled, since)]
        held.clear()
        await _give_back(stale)
        return None

    def keep(self, pooled: PoolProxiedConnection) -> bool:
        """Holds a connection that served a read; False when the hold is full."""
        if len(self._held) >= self.most:
            return False
        self._held.append((pooled, time.monotonic()))
        if self._sweeping is None:
            self._sweeping = asyncio.get_running_loop().call_later(self.seconds, self._sweep)
        return True

    def _usable(self, since: float, now: float) -> bool:
        return now - since < self.seconds and since > self.pings.distrust_before

    def _sweep(self) -> None:
        self._sweeping = None
        now = time.monotonic()
        stale = [entry for entry in self._held if not self._usable(entry[1], now)]
        if stale:
            self._held = [entry for entry in self._held if self._usable(entry[1], now)]
            returning = asyncio.ensure_future(_give_back(stale))
            self._returning.add(returning)
            returning.add_done_callback(self._returning.discard)
        if self._held:
            self._sweeping = asyncio.get_running_loop().call_later(self.seconds, self._sweep)

    def _disposed(self, _engine: Any) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()
            self._sweeping = None
        held, self._held = self._held, []
        for pooled, _since in held:
            # Closes the driver's connection without a round trip (the pool is gone).
            pooled.invalidate()


async def _give_back(held: list[tuple[PoolProxiedConnection, float]]) -> None:
    """Returns held connections to the pool, each with the time of its last use."""
    for pooled, since in held:
        if _closed(pooled.driver_connection):
            pooled.invalidate()
            continue
        info = pooled.info
        await greenlet_spawn(pooled.close)
        info[RETURNED] = since


class RowReads:
    """Read connections of one engine (see the module doc); `direct` picks the driver's own
    calls over SQLAlchemy's execution."""

    def __init__(
        self, engine: AsyncEngine, direct: bool, hold: ConnectionHold | None = None
    ) -> None:
        self.engine = engine
        self.direct = direct
        #: Direct read connections held between reads (None: each goes back to the pool).
        self.hold = hold if direct else None
        self.postgresql = engine.dialect.name == "postgresql"
        self.announce = engine.sync_engine.dispatch.before_cursor_execute
        #: id(statement) -> (the statement, kept alive so its id is not reused; its form).
        self._compiled: dict[int, tuple[Statement, DriverStatement]] = {}

    def compiled(self, statement: Statement) -> DriverStatement:
        entry = self._compiled.get(id(statement))
        if entry is None or entry[0] is not statement:
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.clear()
            entry = (statement, DriverStatement.compile(statement, self.engine.dialect))
            self._compiled[id(statement)] = entry
        return entry[1]

    @asynccontextmanager
    async def connect(self, any_statement: bool = False) -> AsyncIterator[ReadConnection]:
        """A read connection; `any_statement`: one that takes statements with literal values
        and expanding IN too (SQLAlchemy's execution, without a session), where the driver's
        own calls take compiled-once statements only."""
        if any_statement or not self.direct:
            async with self.engine.connect() as connection:
                yield _CoreConnection(connection, self.postgresql)
            return
        hold = self.hold
        pooled = await hold.take() if hold is not None else None
        if pooled is None:
            pooled = await self.engine.raw_connection()
        try:
            yield _DriverConnection(self, pooled.driver_connection)
        except BaseException as error:
            if database_unavailable(error) or _closed(pooled.driver_connection):
                pooled.invalidate(error if isinstance(error, Exception) else None)
            await greenlet_spawn(pooled.close)
            raise
        if hold is None or not hold.keep(pooled):
            # Back to the pool, which resets it (SQLite's driver needs SQLAlchemy's greenlet
            # for that; reads here opened no transaction to roll back).
            await greenlet_spawn(pooled.close)
