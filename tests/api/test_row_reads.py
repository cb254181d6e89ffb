"""Row reads (app/db/row_reads.py): on the driver's own calls they answer exactly what
SQLAlchemy's execution answers, announce every statement, refuse statements they cannot
compile once, and never return a connection that failed as unavailable to the pool."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from app.db.engine import SessionFactory, create_engine, create_row_reads
from app.db.errors import database_unavailable
from app.db.row_reads import DriverStatement, RowReads
from app.repositories.tree_reads import ITEM, job_by_id, line_item_rows
from app.services.seeding import seed
from app.settings import Settings
from tests.api.test_fast_path import random_tree
from tests.conftest import StatementCounter

COLUMNS = frozenset({"status", "version", "target_time", "custom_attributes"})


async def test_direct_reads_answer_what_sqlalchemy_answers(
    engine: AsyncEngine, db: SessionFactory, sql: StatementCounter
) -> None:
    await seed(db, "acme", random_tree(12, 3))
    sql.reset()
    direct, core = create_row_reads(engine, traced=False), create_row_reads(engine, traced=True)
    assert direct.direct and not core.direct
    answers: list[Any] = []
    for reads in (direct, core):
        async with reads.connect() as connection:
            jobs = [
                await job_by_id(connection, "acme", f"0b5d6f1e-0000-4000-a000-{n:012d}", columns)
                for n in (1, 3, 999)
                for columns in (COLUMNS, None)
            ]
            ids = [job.id for job in jobs if job is not None]
            items = await line_item_rows(connection, "acme", ids, None)
            none = await line_item_rows(connection, "acme", [], frozenset({"quantity"}))
        answers.append(([None if j is None else tuple(j) for j in jobs], items, none))
    assert answers[0] == answers[1]
    assert any(answers[0][1].values())  # the jobs have line items
    # Every statement was announced where statements are counted, on both ways.
    assert sql.count == 2 * (6 + 2)


def test_a_statement_the_driver_cannot_take_as_compiled_is_refused(engine: AsyncEngine) -> None:
    expanding = select(col(ITEM.id)).where(
        col(ITEM.service_job_id).in_(bindparam("ids", expanding=True))
    )
    with pytest.raises(ValueError, match="named bindparams only"):
        DriverStatement.compile(expanding, engine.dialect)


async def test_a_connection_that_failed_as_unavailable_leaves_the_pool(
    engine: AsyncEngine,
) -> None:
    reads = RowReads(engine, direct=True)
    invalidated: list[BaseException | None] = []

    def heard(_connection: Any, _record: Any, exception: BaseException | None) -> None:
        invalidated.append(exception)

    event.listen(engine.sync_engine.pool, "invalidate", heard)
    try:
        with pytest.raises(ConnectionResetError):
            async with reads.connect():
                raise ConnectionResetError("the server went away")
        assert len(invalidated) == 1 and isinstance(invalidated[0], ConnectionResetError)
        with pytest.raises(KeyError):  # an ordinary failure keeps the connection
            async with reads.connect():
                raise KeyError("a bug, not the database")
        assert len(invalidated) == 1
    finally:
        event.remove(engine.sync_engine.pool, "invalidate", heard)


@pytest.mark.parametrize("after", [0.0, 3600.0])
async def test_a_connection_is_pinged_once_idle_and_a_dead_one_replaced(
    settings: Settings, after: float
) -> None:
    """DB_PING_AFTER_IDLE_SECONDS: a connection killed while idle in the pool is caught by
    the ping when it has been idle long enough (0: always), else its next statement fails as
    unavailable (DATABASE_UNAVAILABLE for that request) and it is replaced."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose a connection to")
    engine = create_engine(
        settings.database_url, pool_size=1, max_overflow=0, ping_after_idle=after
    )
    reads = RowReads(engine, direct=True)
    statement = select(col(ITEM.id)).where(col(ITEM.tenant) == bindparam("tenant"))
    try:
        async with reads.connect() as connection:
            await connection.rows(statement, {"tenant": "acme"})
            pid = connection.driver.get_server_pid()  # type: ignore[attr-defined]
        killer = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()
        if after:
            with pytest.raises(Exception) as failed:
                async with reads.connect() as connection:
                    await connection.rows(statement, {"tenant": "acme"})
            assert database_unavailable(failed.value)
        async with reads.connect() as connection:
            assert await connection.rows(statement, {"tenant": "acme"}) == (["id"], [])
            assert connection.driver.get_server_pid() != pid  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_once_one_connection_is_found_dead_its_siblings_are_pinged(
    settings: Settings,
) -> None:
    """A backend terminated under a recently used connection fails one request; the pool's
    other connections, which may have died with it, are pinged before their next use."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose a connection to")
    engine = create_engine(settings.database_url, pool_size=2, max_overflow=0, ping_after_idle=3600)
    reads = RowReads(engine, direct=True)
    statement = select(col(ITEM.id)).where(col(ITEM.tenant) == bindparam("tenant"))
    try:
        async with reads.connect() as first, reads.connect() as second:
            pids = [c.driver.get_server_pid() for c in (first, second)]  # type: ignore[attr-defined]
        killer = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            for pid in pids:
                assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()
        with pytest.raises(Exception) as failed:
            async with reads.connect() as connection:
                await connection.rows(statement, {"tenant": "acme"})
        assert database_unavailable(failed.value)
        async with reads.connect() as one, reads.connect() as other:
            for connection in (one, other):
                assert await connection.rows(statement, {"tenant": "acme"}) == (["id"], [])
    finally:
        await engine.dispose()
