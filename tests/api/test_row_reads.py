"""Row reads (app/db/row_reads.py): on the driver's own calls they answer exactly what
SQLAlchemy's execution answers, announce every statement, refuse statements they cannot
compile once, and never return a connection that failed as unavailable to the pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlmodel import col

from app.db import tables
from app.db.engine import SessionFactory, create_engine, create_row_reads, ping_rule_of
from app.db.errors import database_unavailable
from app.db.row_reads import RETURNED, DriverStatement, RowReads
from app.repositories import tree_reads
from app.repositories.tree_reads import ITEM, job_by_id, line_item_rows, load_tree
from app.services.seeding import seed
from app.settings import Settings
from tests.api.test_fast_path import TREE, random_tree
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


async def terminate(settings: Settings, *pids: int) -> None:
    """Ends these PostgreSQL backends, as a restart or an administrator would."""
    killer = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        for pid in pids:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()


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
        await terminate(settings, pid)
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
        await terminate(settings, *pids)
        with pytest.raises(Exception) as failed:
            async with reads.connect() as connection:
                await connection.rows(statement, {"tenant": "acme"})
        assert database_unavailable(failed.value)
        async with reads.connect() as one, reads.connect() as other:
            for connection in (one, other):
                assert await connection.rows(statement, {"tenant": "acme"}) == (["id"], [])
    finally:
        await engine.dispose()


def _postgres_only(settings: Settings) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("read connections are held on PostgreSQL only")


async def _server_pid(reads: RowReads) -> int:
    statement = select(col(ITEM.id)).where(col(ITEM.tenant) == bindparam("tenant"))
    async with reads.connect() as connection:
        await connection.rows(statement, {"tenant": "acme"})
        pid: int = connection.driver.get_server_pid()  # type: ignore[attr-defined]
    return pid


async def test_a_read_connection_is_held_between_reads_and_given_back_when_idle(
    settings: Settings,
) -> None:
    """The next read takes the held connection without a checkout; once idle for the hold's
    interval it is the pool's again, marked with the time of its last use."""
    _postgres_only(settings)
    engine = create_engine(settings.database_url, pool_size=4, ping_after_idle=0.2)
    reads = create_row_reads(engine, traced=False)
    checkouts: list[object] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(1))
    deltas: list[int] = []
    try:
        assert reads.hold is not None and reads.hold.seconds == pytest.approx(0.2)
        reads.hold.on_change = deltas.append  # what /metrics counts as idle, not in use
        first = await _server_pid(reads)
        used = time.monotonic()
        assert await _server_pid(reads) == first
        assert len(checkouts) == 1 and reads.hold.held == 1
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool) and pool.checkedout() == 1
        assert sum(deltas) == 1
        await asyncio.sleep(0.5)
        assert reads.hold.held == 0 and pool.checkedout() == 0
        assert sum(deltas) == 0 and deltas[:3] == [1, -1, 1]
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert raw.info[RETURNED] <= used + 0.05  # its last use, not when it was swept
    finally:
        await engine.dispose()


async def test_a_held_connection_is_not_used_again_once_the_pool_distrusts_it(
    settings: Settings,
) -> None:
    """A connection invalidated anywhere in the pool sends the held ones back to the pool
    with the time of their last use, so that the pool pings them before their next use, as
    it pings the connections that were idle in it."""
    _postgres_only(settings)
    engine = create_engine(settings.database_url, pool_size=2, max_overflow=0)
    reads = create_row_reads(engine, traced=False)
    pool = engine.sync_engine.pool
    pinged: list[bool] = []

    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        pinged.append(record.info[RETURNED] < ping_rule_of(engine).distrust_before)

    try:
        first = await _server_pid(reads)
        pool.dispatch.invalidate(None, None, None)  # as when a sibling failed
        event.listen(pool, "checkout", checkout)
        assert await _server_pid(reads) == first
        assert pinged == [True]
        assert reads.hold is not None and reads.hold.held == 1
        assert await _server_pid(reads) == first  # held again, trusted: no checkout
        assert pinged == [True]
    finally:
        await engine.dispose()


async def test_a_held_connection_killed_fails_one_read_at_most_and_is_replaced(
    settings: Settings,
) -> None:
    _postgres_only(settings)
    engine = create_engine(settings.database_url, pool_size=2, ping_after_idle=3600)
    reads = create_row_reads(engine, traced=False)
    statement = select(col(ITEM.id)).where(col(ITEM.tenant) == bindparam("tenant"))
    try:
        pid = await _server_pid(reads)
        await terminate(settings, pid)
        try:
            async with reads.connect() as connection:
                await connection.rows(statement, {"tenant": "acme"})
        except Exception as error:  # the driver had not heard of it yet: this read fails
            assert database_unavailable(error)
        assert await _server_pid(reads) != pid
    finally:
        await engine.dispose()


async def test_the_hold_keeps_half_the_pool_at_most_and_closes_with_the_engine(
    settings: Settings,
) -> None:
    _postgres_only(settings)
    engine = create_engine(settings.database_url, pool_size=4, max_overflow=0)
    reads = create_row_reads(engine, traced=False)
    statement = select(col(ITEM.id)).where(col(ITEM.tenant) == bindparam("tenant"))
    drivers: list[Any] = []

    async def read() -> None:
        async with reads.connect() as connection:
            drivers.append(connection.driver)  # type: ignore[attr-defined]
            await connection.rows(statement, {"tenant": "acme"})
            await asyncio.sleep(0.01)

    await asyncio.gather(*(read() for _ in range(4)))
    assert reads.hold is not None and reads.hold.held == 2
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool) and pool.checkedout() == 2
    await engine.dispose()
    assert reads.hold.held == 0
    assert all(driver.is_closed() for driver in drivers)


async def test_no_connection_is_held_while_the_pool_has_none_left(settings: Settings) -> None:
    """A session waiting for a connection gets the one a read just used."""
    _postgres_only(settings)
    engine = create_engine(settings.database_url, pool_size=2, max_overflow=0)
    reads = create_row_reads(engine, traced=False)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    try:
        await _server_pid(reads)
        assert reads.hold is not None and reads.hold.held == 1
        async with engine.connect() as session_connection:
            await session_connection.execute(select(1))
            await _server_pid(reads)  # takes the held one; the pool has nothing left
            assert reads.hold.held == 0 and pool.checkedout() == 1
    finally:
        await engine.dispose()


def test_no_hold_where_the_pool_pings_every_use_or_a_pooler_or_tracing_decides(
    settings: Settings,
) -> None:
    engine = create_engine(settings.database_url, ping_after_idle=0)
    assert create_row_reads(engine, traced=False).hold is None
    # A pool of one is never held: a session would wait for it.
    alone = create_engine(settings.database_url, pool_size=1)
    assert create_row_reads(alone, traced=False).hold is None
    engine = create_engine(settings.database_url)
    assert create_row_reads(engine, traced=True).hold is None
    if settings.database_url.startswith("postgresql"):
        assert create_row_reads(engine, traced=False).hold is not None
        pooled = create_engine(settings.database_url, pooler="pgbouncer")
        assert create_row_reads(pooled, traced=False).hold is None
    else:
        assert create_row_reads(engine, traced=False).hold is None


async def test_statements_that_carry_their_values_answer_what_sqlalchemy_answers(
    engine: AsyncEngine, db: SessionFactory, sql: StatementCounter
) -> None:
    """A connection for any statement runs a cacheable one on the driver's own calls, its
    form compiled once and its values bound as SQLAlchemy binds them (timestamps included);
    an expanding IN goes through SQLAlchemy's execution."""
    await seed(db, "acme", random_tree(12, 3))
    job = tables.ServiceJob
    since = datetime(2000, 1, 1, tzinfo=UTC)

    def jobs(tenant: str, after: datetime, size: int) -> Any:
        return (
            select(col(job.id), col(job.created), col(job.version))
            .where(col(job.tenant) == tenant, col(job.created) > after)
            .order_by(col(job.id))
            .limit(size)
        )

    statements = [
        jobs("acme", since, 5),
        jobs("acme", since, 2),
        jobs("other", since, 5),
        jobs("acme", datetime(2999, 1, 1, tzinfo=UTC), 5),
        select(col(job.id)).where(col(job.tenant) == "acme", col(job.id).in_(["x", "y"])),
        select(func.count()).select_from(job).where(col(job.tenant) == "acme"),
    ]
    direct, core = create_row_reads(engine, traced=False), create_row_reads(engine, traced=True)
    answers: list[list[Any]] = []
    for reads in (direct, core):
        found = []
        async with reads.connect(any_statement=True) as connection:
            for statement in statements:
                names, rows = await connection.rows(statement, {})
                found.append((names, [tuple(row) for row in rows]))
        answers.append(found)
    assert answers[0] == answers[1]
    assert len(answers[0][0][1]) == 5 and len(answers[0][1][1]) == 2
    assert answers[0][2][1] == [] and answers[0][3][1] == []
    # One compiled form for the four pages (the IN is SQLAlchemy's to render).
    assert len(direct._carried) == 3
    sql.reset()
    async with direct.connect(any_statement=True) as connection:
        await connection.rows(statements[0], {})
    assert sql.count == 1


async def test_a_tree_reads_its_items_on_a_spare_connection_only_when_one_is_free(
    settings: Settings, db: SessionFactory
) -> None:
    """The items of a tree are read beside its jobs on a second connection when the pool
    gives one without waiting (the same snapshot either way); never while a session waits,
    and never on SQLite or through SQLAlchemy's execution (no spare there)."""
    await seed(db, "acme", random_tree(30, 5))
    engine = create_engine(settings.database_url, pool_size=2, max_overflow=0)
    reads = create_row_reads(engine, traced=False)
    postgresql = settings.database_url.startswith("postgresql")
    given: list[bool] = []  # whether each spare asked for was a connection
    offer = reads.spare

    @asynccontextmanager
    async def recorded() -> AsyncIterator[Any]:
        async with offer() as spare:
            given.append(spare is not None)
            yield spare

    reads.spare = recorded  # type: ignore[method-assign]
    try:
        async with reads.connect() as connection, connection.spare() as spare:
            assert (spare is not None) == postgresql
        snapshots = []
        for busy in (False, True):
            async with AsyncExitStack() as stack:
                if busy:  # the pool's last connection is a session's: no spare
                    other = await stack.enter_async_context(engine.connect())
                    await other.execute(select(1))
                async with reads.connect() as connection:
                    if busy and postgresql:
                        async with connection.spare() as spare:
                            assert spare is None
                    given.clear()
                    snapshots.append(await load_tree(connection, "acme", TREE))
                    # The tree read took a spare when one was free, and only then.
                    assert given == [postgresql and not busy]
        core = create_row_reads(engine, traced=True)
        async with core.connect() as connection, connection.spare() as spare:
            assert spare is None
            snapshots.append(await load_tree(connection, "acme", TREE))
        first = snapshots[0]
        assert first is not None and first.items_by_job
        for snapshot in snapshots[1:]:
            assert snapshot is not None
            assert snapshot.items_by_job == first.items_by_job
            assert snapshot.jobs == first.jobs
    finally:
        await engine.dispose()


async def test_a_failed_tree_read_gives_its_spare_connection_back_idle(
    settings: Settings, db: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the jobs' statement fails, the items' statement on the spare connection is
    waited for before that connection goes back: the pool never gets a busy connection."""
    _postgres_only(settings)
    await seed(db, "acme", random_tree(30, 6))
    engine = create_engine(settings.database_url, pool_size=4)
    reads = create_row_reads(engine, traced=False)

    async def failing_jobs(*_: Any) -> Any:
        await asyncio.sleep(0)
        raise RuntimeError("the jobs' statement failed")

    monkeypatch.setattr(tree_reads, "_tree_jobs", failing_jobs)
    try:
        async with reads.connect() as connection:
            with pytest.raises(RuntimeError):
                await load_tree(connection, "acme", TREE)
        monkeypatch.undo()
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        # Every connection the read used is idle again and answers the next reads.
        for _ in range(3):
            async with reads.connect() as connection:
                snapshot = await load_tree(connection, "acme", TREE)
                assert snapshot is not None and snapshot.items_by_job
    finally:
        await engine.dispose()
