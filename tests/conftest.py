"""Test fixtures: a fresh, migrated database per test (SQLite by default, PostgreSQL with
`--db postgres`), the real ASGI app, and an HTTP client."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from starlette.applications import Starlette

from app.db import tables  # noqa: F401 - registers the tables
from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade
from app.http.app import create_app
from app.settings import Settings
from tests.support.development import development
from tests.support.graphql import GraphQLClient

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-keys"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("TEST_DB", "sqlite"),
        help="database to run the suite against (postgres needs TEST_POSTGRES_URL)",
    )


UNIT_TESTS = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The pure rules (tests/unit) touch no database: they run once, in the SQLite pass."""
    if config.getoption("--db") != "postgres":
        return
    once = pytest.mark.skip(reason="pure rules run once, in the SQLite pass")
    for item in items:
        if UNIT_TESTS in item.path.parents:
            item.add_marker(once)


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; every test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()
    return path


_TABLES = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
#: The tables with any page (rows, or the pages of rows deleted since): the others are as a
#: TRUNCATE leaves them.
_USED_TABLES = text(
    "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
    " AND relname = ANY(:tables) AND pg_relation_size(oid) > 0"
)


@dataclass
class PostgresTestDatabase:
    url: str
    #: One connection, kept for the session (pre-pinged: a test may terminate it), that
    #: empties the database before each test.
    engine: AsyncEngine

    async def empty(self) -> None:
        """TRUNCATE ... CASCADE of the tables that hold anything: the state a TRUNCATE of every
        table leaves, at a fraction of its cost (PostgreSQL truncates file by file)."""
        async with self.engine.begin() as connection:
            used = (await connection.execute(_USED_TABLES, {"tables": _TABLES})).scalars().all()
            if used:
                await connection.execute(text(f"TRUNCATE {', '.join(used)} CASCADE"))


@pytest.fixture(scope="session")
async def postgres(db_kind: str) -> AsyncIterator[PostgresTestDatabase | None]:
    if db_kind != "postgres":
        yield None
        return
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.exit("--db postgres needs TEST_POSTGRES_URL (scripts/with-postgres sets it)", 2)
    # Pinged before every use (DB_PING_AFTER_IDLE_SECONDS=0): tests terminate connections.
    engine = create_engine(url, pool_size=1, max_overflow=0, ping_after_idle=0)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    yield PostgresTestDatabase(url, engine)
    await engine.dispose()


async def fresh_database(
    directory: Path, sqlite_template: Path, postgres: PostgresTestDatabase | None
) -> str:
    """An empty, migrated database: the PostgreSQL test database emptied, or a copy of the
    SQLite template in `directory`."""
    if postgres is not None:
        await postgres.empty()
        return postgres.url
    path = directory / "test.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def database_url(
    tmp_path: Path, sqlite_template: Path, postgres: PostgresTestDatabase | None
) -> str:
    return await fresh_database(tmp_path, sqlite_template, postgres)


@pytest.fixture(scope="module")
async def module_database_url(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres: PostgresTestDatabase | None,
) -> str:
    """One database for a whole module: for the tests that share one live server
    (tests/support/server.py), each test with data (a tenant) of its own."""
    directory = tmp_path_factory.mktemp("module-db")
    return await fresh_database(directory, sqlite_template, postgres)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="production",
        database_url=database_url,
        jwt_secret=TEST_SECRET,  # type: ignore[arg-type]
        introspection=True,
        # Fair use is on in production; tests/api/test_fair_use.py turns it on.
        rate_limit=False,
    )


@pytest.fixture
def dev_settings(settings: Settings) -> Settings:
    """The same settings in development mode (see tests/support/development.py)."""
    return development(settings)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine) -> Starlette:
    return create_app(settings, engine)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient, settings: Settings) -> GraphQLClient:
    return GraphQLClient(http, settings, tenant="acme")


@pytest.fixture
def db(engine: AsyncEngine) -> Iterator[object]:
    yield create_session_factory(engine)


class StatementCounter:
    """Counts SQL statements sent through the app's engine."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, *args: object) -> None:
        self.statements.append(str(args[2]))

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def sql(engine: AsyncEngine) -> Iterator[StatementCounter]:
    from sqlalchemy import event

    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine.sync_engine, "before_cursor_execute", counter)


@pytest.fixture(autouse=True)
def read_path_never_fails() -> Iterator[None]:
    """The compiled read path may leave a field to graphql-core only by design (see
    app/graphql/fast_path.py); a failure is a bug, and fails whichever test met it."""
    from app.graphql import fast_path

    before = fast_path.OUTCOMES["failure"]
    yield
    assert fast_path.OUTCOMES["failure"] == before, "the compiled read path failed: see the log"


@pytest.fixture
def transactions(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Transactions asyncpg starts on PostgreSQL (a BEGIN and a ROLLBACK each: a read's own,
    or the one SQLAlchemy's pool_pre_ping wraps its ping in). None can be sent to SQLite for a
    read: its driver opens no transaction for a SELECT."""
    begun: list[str] = []
    if settings.database_url.startswith("postgresql"):
        start = asyncpg.transaction.Transaction.start

        async def counted(self: asyncpg.transaction.Transaction) -> None:
            begun.append("BEGIN")
            await start(self)

        monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted)
    yield begun
