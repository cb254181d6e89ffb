"""Row reads for the read path: a statement's driver rows, on a pooled connection, with as
little between the driver and the caller as each deployment allows.

An ORM session around a one-row read cost ~1.8 ms of Python on SQLite (making the session,
its connection and its transaction, closing them); SQLAlchemy's Core execution alone still
~0.8 ms. `direct` reads check a connection out of the engine's own pool (its ping and its
limits included) and send the statement through the driver's own calls: ~0.3 ms. They take
statements built once and kept, whose values are named `bindparam`s without a value of their
own (no expanding IN: pass a list to an `= ANY(...)` or `json_each` parameter instead, see
tree_reads), compiled once per statement and dialect; the literals a statement carries (a
JSON path's key) are sent with them, every value through its type's bind processor, as
SQLAlchemy's execution sends them. A connection that failed as unavailable is invalidated, as
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
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
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
from app.lru import Lru

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

    def spare(self) -> AbstractAsyncContextManager[ReadConnection | None]:
        """Another read connection, for a statement to run beside one on this connection,
        when one is free right now; else None (the statements then run one after the
        other)."""
        ...


class TooManyRows(Exception):
    """A read would pass its request's RowAllowance."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} rows")
        self.limit = limit


class RowAllowance:
    """Rows one request may still read of lists that no estimate before execution bounds (a
    tree's service data grows with the tree). A read takes at most `left + 1` rows (its
    statement's LIMIT: the database may still sort every matching row, but no more than that
    is sent, decoded or built) and spends what it took; a read that would pass the allowance
    raises TooManyRows before anything is built of it, and so does every read after it.
    Reads in flight side by side (graphql-core's batches) each take up to what was left."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, rows: int) -> None:
        if rows > self.left:
            self.left = -1
            raise TooManyRows(self.limit)
        self.left -= rows

    @property
    def statement_limit(self) -> int:
        """The LIMIT of the next read: one row past what is left shows it passes."""
        if self.left < 0:
            raise TooManyRows(self.limit)
        return self.left + 1


#: A position of a compiled statement whose value the caller gives (see DriverStatement).
GIVEN: Any = object()


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement compiled for one dialect: its text, result columns and parameter order,
    and how SQLAlchemy would make each position's value: the caller's value of a named
    bindparam, or the bindparam's own value (a literal the statement carries, such as a JSON
    path's key), through the bind processor of its type (an aware datetime to SQLite's naive
    UTC, for one)."""

    text: str
    names: list[str]
    order: tuple[str, ...]
    #: Per position: the parameter's name, its bind processor (None: none), its own value
    #: (GIVEN: the caller's). Empty when every position is a caller's value taken as it is.
    binds: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...] = ()

    @classmethod
    def compile(cls, statement: Statement, dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("direct reads take named bindparams only (no expanding IN)")
        names = list(statement.selected_columns.keys())
        order = tuple(compiled.positiontup or ())
        processors: Mapping[str, Any] = compiled._bind_processors
        binds: list[tuple[str, Callable[[Any], Any] | None, Any]] = []
        for name in order:
            bind = compiled.binds[name]
            own = bind.effective_value if not bind.required else GIVEN
            binds.append((name, processors.get(name), own))
        plain = all(process is None and own is GIVEN for _, process, own in binds)
        return cls(compiled.string, names, order, () if plain else tuple(binds))

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The driver's arguments for the caller's values by name."""
        if not self.binds:
            return [parameters[name] for name in self.order]
        arguments = []
        for name, process, own in self.binds:
            # The caller's value, as SQLAlchemy takes it over a bindparam's own.
            value = parameters[name] if own is GIVEN or name in parameters else own
            arguments.append(value if process is None else process(value))
        return arguments


class _DriverConnection:
    def __init__(self, reads: RowReads, driver: Any) -> None:
        self.reads = reads
        self.driver = driver
        self.postgresql = reads.postgresql

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> tuple[list[str], Rows]:
        compiled = self.reads.compiled(statement)
        return await self.reads.fetch(self.driver, compiled, compiled.arguments(parameters))

    def spare(self) -> AbstractAsyncContextManager[ReadConnection | None]:
        return self.reads.spare()


class _StatementByStatement:
    """A read connection for statements that carry their values: each statement whose form
    SQLAlchemy can cache runs on the driver's own calls (its form compiled once, its values
    bound as SQLAlchemy binds them), on a connection of its own for that statement (held
    between reads, so that costs little); any other (an expanding IN) through SQLAlchemy's
    execution."""

    def __init__(self, reads: RowReads) -> None:
        self.reads = reads
        self.postgresql = reads.postgresql

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> tuple[list[str], Rows]:
        carried = self.reads.carried(statement, parameters)
        if carried is None:
            async with self.reads.engine.connect() as connection:
                return await _CoreConnection(connection, self.postgresql).rows(
                    statement, parameters
                )
        compiled, arguments = carried
        async with self.reads.pooled() as driver:
            return await self.reads.fetch(driver, compiled, arguments)

    def spare(self) -> AbstractAsyncContextManager[ReadConnection | None]:
        return _none()


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

    def spare(self) -> AbstractAsyncContextManager[ReadConnection | None]:
        return _none()


@asynccontextmanager
async def _none() -> AsyncIterator[None]:
    """No spare connection: SQLAlchemy's execution (behind PgBouncer, while tracing) keeps
    one connection per read."""
    yield None


def _closed(driver: Any) -> bool:
    """Whether a driver connection knows it is closed (asyncpg's does; aiosqlite's does not
    say, and a file does not go away)."""
    is_closed = getattr(driver, "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


#: Compiled statements kept per RowReads, the least recently used forgotten first: kept
#: statements are few per kind of read, but a page's shapes are many.
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

    A connection is used again only while the pool would use it as it is: used less than
    `seconds` ago (at most the ping interval), no connection of the pool invalidated since,
    not older than the pool's last recycle after a disconnect, and its driver does not know
    it closed; otherwise it goes back to the pool, with the time of its last use, and the
    pool's own rules decide. At most `most` connections (half the pool) are held, and none
    while the pool has no connection left to check out (a session may be waiting for one); a
    timer gives back those idle for `seconds`, so connections held after a burst are the
    pool's again within two intervals. When the engine is disposed, held connections are
    closed, and a connection of a disposed pool is closed instead of held or given back."""

    def __init__(self, engine: AsyncEngine, pings: PingRule, most: int) -> None:
        self.engine = engine
        self.pings = pings
        self.seconds = min(HOLD_SECONDS, pings.after)
        self.most = most
        #: (connection, when it was last used), in the order of that time.
        self._held: list[tuple[PoolProxiedConnection, float]] = []
        self._sweeping: asyncio.TimerHandle | None = None
        self._sweeping_loop: asyncio.AbstractEventLoop | None = None
        self._returning: set[asyncio.Future[None]] = set()
        #: Told how many connections went into (+) or out of (-) the hold (app/metrics.py
        #: counts held connections as idle, not in use).
        self.on_change: Callable[[int], None] | None = None
        event.listen(engine.sync_engine, "engine_disposed", self._disposed)

    @property
    def held(self) -> int:
        """How many connections are held now."""
        return len(self._held)

    async def take(self) -> PoolProxiedConnection | None:
        """The most recently used held connection the pool would use as it is, else None;
        the others go back to the pool (all older ones are stale too)."""
        held = self._held
        if not held:
            return None
        pooled, since = held.pop()
        if self._usable(pooled, since, time.monotonic()):
            self._changed(-1)
            return pooled
        stale = [*held, (pooled, since)]
        held.clear()
        await self._give_back(stale)
        return None

    def keep(self, pooled: PoolProxiedConnection) -> bool:
        """Holds a connection that served a read (or closes it, when its pool was disposed);
        False when it is not held: the caller gives it back to the pool."""
        pool = self.engine.sync_engine.pool
        if _pool_of(pooled) is not pool:
            pooled.invalidate()
            return True
        if len(self._held) >= self.most or _exhausted(pool):
            return False
        self._held.append((pooled, time.monotonic()))
        self._changed(1)
        loop = asyncio.get_running_loop()
        if self._sweeping is None or self._sweeping_loop is not loop:
            self._sweeping = loop.call_later(self.seconds, self._sweep)
            self._sweeping_loop = loop
        return True

    def _changed(self, delta: int) -> None:
        if self.on_change is not None and delta:
            self.on_change(delta)

    def _usable(self, pooled: PoolProxiedConnection, since: float, now: float) -> bool:
        return (
            now - since < self.seconds
            and since > self.pings.distrust_before
            and not _recycled(pooled)
            and not _closed(pooled.driver_connection)
        )

    def _sweep(self) -> None:
        self._sweeping = None
        now = time.monotonic()
        keep: list[tuple[PoolProxiedConnection, float]] = []
        stale: list[tuple[PoolProxiedConnection, float]] = []
        for entry in self._held:
            (keep if self._usable(*entry, now) else stale).append(entry)
        if stale:
            self._held = keep
            returning = asyncio.ensure_future(self._give_back(stale))
            self._returning.add(returning)
            returning.add_done_callback(self._returning.discard)
        if self._held:
            self._sweeping = asyncio.get_running_loop().call_later(self.seconds, self._sweep)

    async def _give_back(self, held: list[tuple[PoolProxiedConnection, float]]) -> None:
        """Returns held connections to the pool, each with the time of its last use (closes
        those whose driver knows they closed, or whose pool was disposed). Each is told to
        `on_change` once it is back, in the same step of the event loop as the pool's checkin:
        told before, /metrics could count a connection in use while it was being returned."""
        for pooled, since in held:
            try:
                if _closed(pooled.driver_connection) or (
                    _pool_of(pooled) is not self.engine.sync_engine.pool
                ):
                    pooled.invalidate()
                    continue
                info = pooled.info
                await greenlet_spawn(pooled.close)
                info[RETURNED] = since
            finally:
                self._changed(-1)

    def _disposed(self, _engine: Any) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()
            self._sweeping = None
        held, self._held = self._held, []
        self._changed(-len(held))
        for pooled, _since in held:
            # Closes the driver's connection without a round trip (the pool is gone).
            pooled.invalidate()


# What SQLAlchemy's pool keeps to itself, read defensively: the pool a connection belongs to,
# when the pool last recycled its connections after a disconnect, and a connection's start.


def _pool_of(pooled: PoolProxiedConnection) -> Any:
    return getattr(pooled, "_pool", None)


def _recycled(pooled: PoolProxiedConnection) -> bool:
    """Whether the pool would replace this connection at its next checkout: it started
    before the pool's last invalidation of all its connections (a disconnect)."""
    pool = _pool_of(pooled)
    record = getattr(pooled, "_connection_record", None)
    invalidated = getattr(pool, "_invalidate_time", 0)
    started = getattr(record, "starttime", None)
    return started is not None and started < invalidated


def _exhausted(pool: Any) -> bool:
    """Whether the pool has no connection left to check out without waiting."""
    size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", None)
    if not callable(size) or not isinstance(overflow, int) or overflow < 0:
        return False
    return bool(pool.checkedout() >= size() + overflow)


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
        self._compiled: Lru[int, tuple[Statement, DriverStatement]] = Lru(MAX_COMPILED)
        #: Forms of statements that carry their values, by SQLAlchemy's cache key.
        self._carried: Lru[Any, tuple[Any, DriverStatement, dict[str, Any]] | None] = Lru(
            MAX_COMPILED
        )

    async def fetch(
        self, driver: Any, compiled: DriverStatement, arguments: Sequence[Any]
    ) -> tuple[list[str], Rows]:
        # Announced as SQLAlchemy's execution announces a statement (without a connection
        # or an execution context; its parameters a tuple, as SQLAlchemy gives positional
        # ones), so that what counts statements counts this one.
        self.announce(None, None, compiled.text, tuple(arguments), None, False)
        if self.postgresql:
            records = await driver.fetch(compiled.text, *arguments)
        else:
            records = await driver.execute_fetchall(compiled.text, arguments)
        return compiled.names, list(records)

    def carried(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> tuple[DriverStatement, list[Any]] | None:
        """A statement that carries its values as its compiled form and its driver
        arguments, as SQLAlchemy's execution makes them from its cache key (None: a form
        that SQLAlchemy cannot cache, or one with an expanding IN)."""
        key = statement._generate_cache_key()
        if key is None:
            return None
        if key.key in self._carried:
            entry = self._carried[key.key]
        else:
            entry = _carried_form(statement, key, self.engine.dialect)
            self._carried.put(key.key, entry)
        if entry is None:
            return None
        compiled, driver, processors = entry
        values = compiled.construct_params(
            params=dict(parameters) or None,
            extracted_parameters=key.bindparams,
            escape_names=False,
        )
        arguments = [
            processors[name](values[name]) if name in processors else values[name]
            for name in driver.order
        ]
        return driver, arguments

    def compiled(self, statement: Statement) -> DriverStatement:
        entry = self._compiled.get(id(statement))
        if entry is None or entry[0] is not statement:
            entry = (statement, DriverStatement.compile(statement, self.engine.dialect))
            self._compiled.put(id(statement), entry)
        return entry[1]

    @asynccontextmanager
    async def connect(self, any_statement: bool = False) -> AsyncIterator[ReadConnection]:
        """A read connection; `any_statement`: one that takes statements with literal values
        and expanding IN too, where the driver's own calls take compiled-once statements with
        named parameters only (see _StatementByStatement)."""
        if not self.direct:
            async with self.engine.connect() as connection:
                yield _CoreConnection(connection, self.postgresql)
            return
        if any_statement:
            yield _StatementByStatement(self)
            return
        async with self.pooled() as driver:
            yield _DriverConnection(self, driver)

    @asynccontextmanager
    async def spare(self) -> AsyncIterator[ReadConnection | None]:
        """A second direct read connection for a statement to run beside another, on
        PostgreSQL, when one is free right now: a held one, or one the pool gives without
        waiting. None otherwise: a request that waited for a second connection while
        holding a first could deadlock a busy pool with others doing the same. (SQLite reads
        in process: a second connection would only take turns with the first.)"""
        pooled = None
        if self.direct and self.postgresql:
            hold = self.hold
            pooled = await hold.take() if hold is not None else None
            if pooled is None and not _exhausted(self.engine.sync_engine.pool):
                pooled = await self.engine.raw_connection()
        if pooled is None:
            yield None
            return
        async with self.pooled(pooled) as driver:
            yield _DriverConnection(self, driver)

    @asynccontextmanager
    async def pooled(self, taken: PoolProxiedConnection | None = None) -> AsyncIterator[Any]:
        """A driver connection: `taken`, else a held one, else one checked out of the pool;
        held again or given back after, invalidated when it failed as unavailable."""
        hold = self.hold
        pooled = taken
        if pooled is None and hold is not None:
            pooled = await hold.take()
        if pooled is None:
            pooled = await self.engine.raw_connection()
        try:
            yield pooled.driver_connection
        except BaseException as error:
            if database_unavailable(error) or _closed(pooled.driver_connection):
                pooled.invalidate(error if isinstance(error, Exception) else None)
            await greenlet_spawn(pooled.close)
            raise
        if hold is None or not hold.keep(pooled):
            # Back to the pool, which resets it (SQLite's driver needs SQLAlchemy's greenlet
            # for that; reads here opened no transaction to roll back).
            await greenlet_spawn(pooled.close)


def _carried_form(
    statement: Statement, key: Any, dialect: Dialect
) -> tuple[Any, DriverStatement, dict[str, Any]] | None:
    """A statement form compiled for its cache key, as SQLAlchemy compiles it for its own
    cache, with the bind processors SQLAlchemy applies to its values (None: it has an
    expanding IN or literal-rendered values, which only SQLAlchemy's execution renders)."""
    compiled = statement.compile(dialect=dialect, cache_key=key)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    # The names the driver's description gives (an unnamed count is `count_1`, as in
    # SQLAlchemy's results).
    names = [column[0] for column in compiled._result_columns]
    driver = DriverStatement(compiled.string, names, tuple(compiled.positiontup or ()))
    return compiled, driver, dict(compiled._bind_processors)
