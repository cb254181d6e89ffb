"""Test fixtures: a fresh, migrated database per test (SQLite by default, PostgreSQL with
`--db postgres`), the real ASGI app, and an HTTP client."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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


@pytest.fixture(scope="session")
async def postgres_url(db_kind: str) -> AsyncIterator[str | None]:
    if db_kind != "postgres":
        yield None
        return
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.exit("--db postgres needs TEST_POSTGRES_URL (scripts/with-postgres sets it)", 2)
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    await engine.dispose()
    yield url


_TABLES = ", ".join(t.name for t in reversed(SQLModel.metadata.sorted_tables))


@pytest.fixture
async def database_url(
    db_kind: str, tmp_path: Path, sqlite_template: Path, postgres_url: str | None
) -> str:
    if db_kind == "postgres":
        assert postgres_url is not None
        engine = create_engine(postgres_url)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {_TABLES} CASCADE"))
        await engine.dispose()
        return postgres_url
    path = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="production",
        database_url=database_url,
        jwt_secret=TEST_SECRET,  # type: ignore[arg-type]
        introspection=True,
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
