"""Which failures are the database out of reach (retry) and which are bugs (masked)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db.errors import database_unavailable


def wrapped(driver: BaseException) -> DBAPIError:
    """As SQLAlchemy raises it: the driver's exception as `orig` and as the cause."""
    error = DBAPIError("SELECT 1", None, driver)
    error.__cause__ = driver
    return error


def test_lost_refused_and_shut_down_connections_are_unavailability() -> None:
    for driver in (
        asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle of operation"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.ProtocolViolationError("server shutting down"),  # PgBouncer's 08P01
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        ConnectionRefusedError(111, "Connection refused"),
        # A backend terminated while its connection idled in the pool, met by the next
        # statement (seen in CI's PostgreSQL pass, test_row_reads).
        asyncpg.exceptions.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
    ):
        assert database_unavailable(wrapped(driver)), driver
        assert database_unavailable(driver), driver


def test_an_invalidated_connection_is_unavailability() -> None:
    error = DBAPIError("SELECT 1", None, Exception("gone"), connection_invalidated=True)
    assert database_unavailable(error)


def test_bugs_and_refused_data_are_not() -> None:
    for error in (
        RuntimeError("boom"),
        wrapped(asyncpg.exceptions.UndefinedColumnError("column x does not exist")),
        IntegrityError("INSERT", None, asyncpg.exceptions.UniqueViolationError("duplicate")),
        wrapped(asyncpg.exceptions.InterfaceError("another operation is in progress")),
    ):
        assert not database_unavailable(error), error


class FakeContext:
    def __init__(self) -> None:
        self.released = 0

    def release(self) -> None:
        self.released += 1


async def test_a_subscription_waits_out_a_moment_without_the_database() -> None:
    from app.graphql.events.subscriptions import _reload

    attempts: list[int] = []

    async def load() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise wrapped(asyncpg.exceptions.ProtocolViolationError("server shutting down"))
        return "the job"

    context = FakeContext()
    assert await _reload(context, load) == "the job"  # type: ignore[arg-type]
    assert len(attempts) == 3
    assert context.released == 3  # fresh loaders for every attempt


async def test_a_subscription_does_not_retry_a_bug() -> None:
    from app.graphql.events.subscriptions import _reload

    async def load() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await _reload(FakeContext(), load)  # type: ignore[arg-type]
