"""Which failures are the database out of reach (retry) and which are bugs (masked)."""

from __future__ import annotations

import asyncpg
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
