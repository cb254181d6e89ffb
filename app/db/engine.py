"""Engine and session factories for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

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


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


#: orjson both ways: trees carry thousands of JSON cells per request.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4().hex}__"


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
    pooler: str = "none",
) -> AsyncEngine:
    """An engine for DATABASE_URL. `pooler="pgbouncer"`: the url leads to PgBouncer in
    transaction pooling mode, where consecutive transactions of one client connection may run
    on different server connections (see README, "Several machines")."""
    url = normalize_url(database_url)
    if url.drivername.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, **JSON_CODEC)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any]
    if pooler == "pgbouncer":
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
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        connect_args=connect_args,
        **JSON_CODEC,
    )


#: Where a session finds the change hub of its process (see app/events/hub.py).
HUB_KEY = "jobtree.change_hub"


def create_session_factory(engine: AsyncEngine, hub: object | None = None) -> SessionFactory:
    """Sessions of one engine; `hub`, when given, hears of every committed change."""
    return async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False, info={HUB_KEY: hub}
    )
