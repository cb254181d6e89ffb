"""Engine and session factories for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import Pool, QueuePool
from sqlalchemy.util import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.row_reads import RETURNED, ConnectionHold, RowReads

SessionFactory = async_sessionmaker[AsyncSession]


def normalize_url(raw: str) -> URL:
    """Accept the usual spellings (`postgresql://`, `sqlite:///`) and pick the async drivers."""
    url = make_url(raw)
    if url.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername in {"sqlite", "sqlite+pysqlite"}:
        url = url.set(drivername="sqlite+aiosqlite")
    if url.drivername not in {"postgresql+asyncpg", "sqlite+aiosqlite"}:
        raise ValueError(f"unsupported DATABASE_URL driver {url.drivername!r}")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; foreign keys are off by default in SQLite;
    # the busy timeout makes a second writer wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_reset(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
    """A returned SQLite connection is rolled back only when a transaction is open (sqlite3
    opens one before a write, never for a read). The pool's default rollback crossed to
    aiosqlite's thread and back on every return: for a one-row read, as long as the read."""
    if not reset_state.terminate_only and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


#: orjson both ways: trees carry thousands of JSON cells per request.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


#: An execution option marking an engine whose connections go through a transaction pooler.
POOLED_KEY = "jobtree_pooled"


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4().hex}__"


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
    pooler: str = "none",
    ping_after_idle: float = 1.0,
) -> AsyncEngine:
    """An engine for DATABASE_URL. `pooler="pgbouncer"`: the url leads to PgBouncer in
    transaction pooling mode, where consecutive transactions of one client connection may run
    on different server connections (see README, "Several machines")."""
    url = normalize_url(database_url)
    if url.drivername.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            # The pool's reset is _sqlite_reset's: a rollback only when one is needed.
            pool_reset_on_return=None,
            **JSON_CODEC,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _sqlite_reset)
        return engine
    connect_args: dict[str, Any]
    pooled = pooler == "pgbouncer"
    if pooled:
        # A statement prepared on one server connection does not exist on the next, and a
        # name reused by another client clashes: cache no prepared statement (asyncpg's cache
        # and SQLAlchemy's) and give each one a name of its own, as the asyncpg and SQLAlchemy
        # documentation prescribe for PgBouncer. PgBouncer runs DISCARD ALL when a server
        # connection changes hands (scripts/cluster), which drops them. Startup parameters
        # other than a few are refused by PgBouncer, so JIT is switched off on the database
        # (ALTER DATABASE ... SET jit = off) rather than per connection.
        url = url.update_query_dict({"prepared_statement_cache_size": "0"})
        connect_args = {
            "statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name,
        }
    else:
        # JIT compilation costs far more than it saves on the short queries a gateway sends.
        connect_args = {"server_settings": {"jit": "off"}}
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # Behind PgBouncer, SQLAlchemy's ping: it wraps the ping in a transaction, so that its
        # statement is prepared and run on one server connection.
        pool_pre_ping=pooled,
        connect_args=connect_args,
        execution_options={POOLED_KEY: pooled},
        **JSON_CODEC,
    )
    if not pooled:
        pings = IdlePing(ping_after_idle)
        event.listen(engine.sync_engine.pool, "checkout", pings.checkout)
        event.listen(engine.sync_engine.pool, "checkin", pings.checkin)
        event.listen(engine.sync_engine.pool, "invalidate", pings.invalidated)
        _PINGS[engine.sync_engine.pool] = pings
    return engine


#: The ping rule of each engine's pool (PostgreSQL without a pooler), for the read hold.
_PINGS: WeakKeyDictionary[Pool, IdlePing] = WeakKeyDictionary()


class IdlePing:
    """SQLAlchemy's pool_pre_ping, without the transaction it wraps the ping in (BEGIN, the
    ping, ROLLBACK: three round trips, for pgbouncer's transaction mode, which only engines
    behind a pooler need), and only for a connection idle longer than `after` seconds: one
    empty statement. A connection that does not answer is replaced by a fresh one
    (DisconnectionError), as pool_pre_ping does.

    Under load every connection is back in use within milliseconds, and a ping per checkout
    was a round trip per read level and one for the fair use charge: half of a one-job
    read's round trips. A connection that died within `after` seconds of its last use (the
    server restarted under load, a backend terminated) fails its statement instead: that
    request is answered with DATABASE_UNAVAILABLE and the connection is invalidated; and since
    its siblings may have died with it, every connection returned before that moment is pinged
    at its next checkout. SQLAlchemy's default is never to ping."""

    def __init__(self, after: float) -> None:
        self.after = after
        #: Connections returned before this moment are pinged at their next checkout.
        self.distrust_before = 0.0

    def invalidated(self, _dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        self.distrust_before = time.monotonic()

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[RETURNED] = time.monotonic()

    def checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(RETURNED)
        if (
            returned is not None
            and returned > self.distrust_before
            and time.monotonic() - returned < self.after
        ):
            return
        try:
            await_(dbapi_connection.driver_connection.fetchrow(";"))
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer its ping") from exc


def ping_rule_of(engine: AsyncEngine) -> IdlePing:
    """The ping rule of an engine's pool (PostgreSQL without a pooler only)."""
    return _PINGS[engine.sync_engine.pool]


#: Where a session finds the change hub of its process (see app/events/hub.py).
HUB_KEY = "jobtree.change_hub"


def create_session_factory(engine: AsyncEngine, hub: object | None = None) -> SessionFactory:
    """Sessions of one engine; `hub`, when given, hears of every committed change."""
    return async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False, info={HUB_KEY: hub}
    )


def create_read_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions for reads that write nothing (queries, loaders): on PostgreSQL in autocommit,
    so a read is its statements alone, without a BEGIN and a ROLLBACK round trip around them.
    Each statement sees the data committed when it starts, as it did in READ COMMITTED
    transactions of their own; every read was already its own short session. SQLite's driver
    opens no transaction for a SELECT in the first place, so its sessions stay as they are.
    Behind PgBouncer's transaction pooling reads stay in transactions too: outside one, each
    round trip may reach another server connection, and a statement prepared in one round trip
    would be missing in the next."""
    if engine.dialect.name != "postgresql" or engine.get_execution_options().get(POOLED_KEY):
        return create_session_factory(engine)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(autocommit, class_=AsyncSession, expire_on_commit=False)


def create_row_reads(engine: AsyncEngine, traced: bool) -> RowReads:
    """Connections for the read path's row reads (app/db/row_reads.py): on the driver's own
    calls, except behind PgBouncer (reads in a transaction, as create_read_session_factory
    says) and while statements are traced (their spans come from SQLAlchemy's execution). On
    PostgreSQL they are held between reads while the pool's rules trust them, half of the
    pool at most (ConnectionHold; none with a pool of one)."""
    pooled = bool(engine.get_execution_options().get(POOLED_KEY))
    direct = not pooled and not traced
    bind, hold = engine, None
    if engine.dialect.name == "postgresql" and not pooled:
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
        pool = engine.sync_engine.pool
        pings = _PINGS.get(pool)
        most = pool.size() // 2 if isinstance(pool, QueuePool) else 0
        if direct and pings is not None and pings.after > 0 and most > 0:
            hold = ConnectionHold(engine, pings, most=most)
    return RowReads(bind, direct=direct, hold=hold)
