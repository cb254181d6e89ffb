"""Behind PgBouncer's transaction pooling, LISTEN and migrations need direct connections: the
settings say so at start-up rather than failing later (see README, "Several machines")."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.settings import Settings

POOLED = "postgresql+asyncpg://app@pgbouncer:6432/jobtree"
DIRECT = "postgresql+asyncpg://app@db:5432/jobtree"


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_pgbouncer_needs_a_direct_listen_url() -> None:
    with pytest.raises(ValidationError, match="DATABASE_LISTEN_URL"):
        settings(database_url=POOLED, database_pooler="pgbouncer")


def test_pgbouncer_needs_postgresql() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL DATABASE_URL"):
        settings(
            database_url="sqlite+aiosqlite:///x.db",
            database_pooler="pgbouncer",
            database_listen_url=DIRECT,
        )


def test_direct_urls_must_be_postgresql() -> None:
    with pytest.raises(ValidationError, match="DATABASE_MIGRATE_URL"):
        settings(database_url=DIRECT, database_migrate_url="sqlite+aiosqlite:///x.db")


def test_listen_and_migrations_use_the_direct_url_behind_a_pooler() -> None:
    pooled = settings(database_url=POOLED, database_pooler="pgbouncer", database_listen_url=DIRECT)
    assert (pooled.database_url, pooled.listen_url, pooled.migrate_url) == (POOLED, DIRECT, DIRECT)
    migrate = "postgresql+asyncpg://owner@db:5432/jobtree"
    owner = settings(
        database_url=POOLED,
        database_pooler="pgbouncer",
        database_listen_url=DIRECT,
        database_migrate_url=migrate,
    )
    assert owner.migrate_url == migrate


def test_without_a_pooler_everything_uses_database_url() -> None:
    plain = settings(database_url=DIRECT)
    assert (plain.database_pooler, plain.listen_url, plain.migrate_url) == ("none", DIRECT, DIRECT)
