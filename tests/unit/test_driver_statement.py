"""A statement compiled once for the driver's own calls makes the arguments SQLAlchemy's
execution would send: the caller's values by name, the statement's own literal values, each
through its type's bind processor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite
from sqlmodel import col

from app.db import tables
from app.db.row_reads import DriverStatement

JOB = tables.ServiceJob

STATEMENT = select(col(JOB.id)).where(
    col(JOB.tenant) == bindparam("tenant"),
    col(JOB.created) >= bindparam("since"),
    col(JOB.name_localized)["de_DE"].as_string() == bindparam("name"),
)
SINCE = datetime(2026, 12, 3, 14, 0, tzinfo=timezone(timedelta(hours=2)))


def test_sqlite_gets_naive_utc_text_and_the_statements_own_json_key() -> None:
    compiled = DriverStatement.compile(STATEMENT, aiosqlite.dialect())
    arguments = compiled.arguments({"tenant": "acme", "since": SINCE, "name": "Naht"})
    assert "acme" in arguments and "Naht" in arguments
    assert "2026-12-03 12:00:00.000000" in arguments  # UTC, naive, as SQLite stores it
    assert any(isinstance(a, str) and "de_DE" in a for a in arguments)  # the JSON path's key
    assert len(arguments) == len(compiled.order)


def test_postgresql_gets_an_aware_utc_datetime() -> None:
    compiled = DriverStatement.compile(STATEMENT, asyncpg.dialect())  # type: ignore[no-untyped-call]
    arguments = compiled.arguments({"tenant": "acme", "since": SINCE, "name": "Naht"})
    assert datetime(2026, 12, 3, 12, 0, tzinfo=UTC) in arguments
    assert "de_DE" in arguments


def test_plain_statements_take_the_values_as_they_are() -> None:
    plain = select(col(JOB.id)).where(col(JOB.tenant) == bindparam("tenant"))
    compiled = DriverStatement.compile(plain, aiosqlite.dialect())
    assert compiled.binds == ()
    assert compiled.arguments({"tenant": "acme"}) == ["acme"]


def test_a_missing_value_is_an_error_not_a_null() -> None:
    compiled = DriverStatement.compile(STATEMENT, aiosqlite.dialect())
    with pytest.raises(KeyError):
        compiled.arguments({"tenant": "acme", "since": SINCE})


def test_the_callers_value_wins_over_a_bindparams_own() -> None:
    statement = select(col(JOB.id)).where(col(JOB.tenant) == bindparam("tenant", value="own"))
    compiled = DriverStatement.compile(statement, aiosqlite.dialect())
    assert compiled.arguments({}) == ["own"]
    assert compiled.arguments({"tenant": "acme"}) == ["acme"]
