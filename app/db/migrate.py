"""Apply Alembic migrations, from the CLI or from inside a running event loop (tests, serve)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from alembic import command

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


#: Taken by a starting process while it migrates and loads the sample data.
STARTUP_LOCK = "jobtree.startup"


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Held while a process migrates (and seeds an empty database) at start-up: nodes started
    at once take turns, and the later ones find the schema at head and the data there. A
    session-level advisory lock, so `engine` must reach PostgreSQL directly, never through a
    transaction pooler (DATABASE_MIGRATE_URL)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        key = {"key": STARTUP_LOCK}
        await autocommit.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), key)
        try:
            yield
        finally:
            await autocommit.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
