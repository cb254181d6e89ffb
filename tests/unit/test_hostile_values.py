"""Pure rules that keep hostile values out: DateTime text, JSON bounds, token claims, and the
unique keys a racing writer can hit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import String
from sqlmodel import SQLModel

from app.auth import (
    MAX_FACILITY_LENGTH,
    MAX_SUBJECT_LENGTH,
    MAX_TENANT_LENGTH,
    AuthenticationFailed,
    _viewer_from_claims,
)
from app.db import tables  # noqa: F401 - registers the tables
from app.db.unique import UniqueKey, foreign_key_violation, postgres_key, sqlite_key
from app.domain.attributes import MAX_DEPTH, MAX_VALUES, check_custom_attributes, json_problem
from app.domain.errors import ErrorCode, Problems
from app.graphql.common.scalars import parse_datetime
from app.services.clashes import clash_conflict, known_keys, removed_meanwhile


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("2026-12-01T10:00:00+14:00", datetime(2026, 11, 30, 20, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("0001-01-01T00:00:00-01:00", datetime(1, 1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999+00:00", datetime.max.replace(tzinfo=UTC)),
        ("9999-12-31T23:59:59+01:00", datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC)),
    ],
)
def test_a_datetime_with_an_offset_that_exists_in_utc_is_read(
    text: str, expected: datetime
) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None


def test_a_datetime_keeps_its_offset() -> None:
    assert parse_datetime("2026-12-01T10:00:00+02:00").utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0001-01-01T00:00:00+14:00", "out of range once converted to UTC"),
        ("9999-12-31T23:59:59-14:00", "out of range once converted to UTC"),
        ("0001-01-01T00:00:00.000001+00:01", "out of range once converted to UTC"),
        ("2026-12-01T10:00:00", "needs a time zone"),
        ("2026-12-01", "needs a time zone"),
        ("9999-12-31T24:00:00Z", "ISO 8601"),
        ("0000-01-01T00:00:00Z", "ISO 8601"),
        ("2026-12-01T10:00:00+24:00", "ISO 8601"),
        ("yesterday", "ISO 8601"),
        ("2026-12-01T10:00:00\x00Z", "ISO 8601"),
        ("\ud800", "ISO 8601"),
        (1_700_000_000, "must be a string"),
        (None, "must be a string"),
    ],
)
def test_other_datetimes_are_refused_with_the_reason(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_datetime(value)


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        {},
        nested(MAX_DEPTH),
        {"max": 2**63 - 1, "min": -(2**63), "f": 1e308, "t": True, "n": None, "s": "ü€𝄞"},
        {"list": list(range(100))},
    ],
)
def test_json_within_its_bounds_has_no_problem(value: object) -> None:
    assert json_problem(value) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (nested(MAX_DEPTH + 1), "nested more than 10 levels"),
        (nested(255), "nested more than 10 levels"),
        (nested(100_000), "nested more than 10 levels"),
        ({"a": 10**40}, "64-bit"),
        ({"a": [2**63]}, "64-bit"),
        ({"a": -(2**63) - 1}, "64-bit"),
        ({"a": float("inf")}, "not finite"),
        ({"a": float("nan")}, "not finite"),
        ({"a": "\ud800"}, "not valid Unicode"),
        ({"\udfff": 1}, "key that is not valid Unicode"),
        ({"a": b"bytes"}, "JSON does not have"),
        ({"a": list(range(MAX_VALUES))}, f"more than {MAX_VALUES} values"),
    ],
)
def test_json_past_its_bounds_says_why(value: object, words: str) -> None:
    problem = json_problem(value)
    assert problem is not None and words in problem


def test_custom_attributes_past_their_bounds_are_a_validation_failure_not_a_crash() -> None:
    for value in ({"a": 10**40}, nested(255), {"a": float("inf")}):
        problems = Problems()
        assert check_custom_attributes(value, "customAttributes", problems) is None
        assert [(p.code, p.field) for p in problems] == [
            (ErrorCode.VALIDATION_FAILED, "customAttributes")
        ]


# --- Token claims --------------------------------------------------------------------------------


def column_lengths(name: str) -> set[int]:
    return {
        column.type.length
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if column.name == name and isinstance(column.type, String) and column.type.length
    }


def test_claim_limits_are_those_of_the_shortest_columns_that_store_them() -> None:
    assert min(column_lengths("tenant")) == MAX_TENANT_LENGTH
    assert min(column_lengths("created_by")) == MAX_SUBJECT_LENGTH
    assert min(column_lengths("facility_ref")) == MAX_FACILITY_LENGTH


@pytest.mark.parametrize(
    ("claims", "claim"),
    [
        ({"tenant": "t" * (MAX_TENANT_LENGTH + 1)}, "'tenant'"),
        ({"tenant": ""}, "'tenant'"),
        ({"tenant": 7}, "'tenant'"),
        ({"tenant": "a\x00b"}, "'tenant'"),
        ({"tenant": "a\ud800"}, "'tenant'"),
        ({"tenant": "acme", "sub": "s" * (MAX_SUBJECT_LENGTH + 1)}, "'sub'"),
        ({"tenant": "acme", "sub": ""}, "'sub'"),
        ({"tenant": "acme", "facilities": ["f" * (MAX_FACILITY_LENGTH + 1)]}, "'facilities'"),
        ({"tenant": "acme", "facilities": ["f\x00"]}, "'facilities'"),
        ({"tenant": "acme", "facilities": "fac-1"}, "'facilities'"),
    ],
)
def test_claims_a_column_cannot_hold_are_refused(claims: dict[str, object], claim: str) -> None:
    with pytest.raises(AuthenticationFailed, match=claim):
        _viewer_from_claims(claims)


def test_claims_as_long_as_their_columns_make_a_viewer() -> None:
    viewer = _viewer_from_claims(
        {
            "tenant": "t" * MAX_TENANT_LENGTH,
            "sub": "s" * MAX_SUBJECT_LENGTH,
            "facilities": ["f" * MAX_FACILITY_LENGTH],
        }
    )
    assert (len(viewer.tenant), len(viewer.subject)) == (MAX_TENANT_LENGTH, MAX_SUBJECT_LENGTH)


# --- Unique keys ---------------------------------------------------------------------------------


def test_sqlite_and_postgresql_name_the_same_key() -> None:
    order = UniqueKey("service_order", frozenset({"tenant", "tenant_order_id"}))
    assert (
        sqlite_key("UNIQUE constraint failed: service_order.tenant, service_order.tenant_order_id")
        == order
    )
    assert (
        postgres_key("service_order", "Key (tenant, tenant_order_id)=(acme, o-1) already exists.")
        == order
    )
    assert postgres_key("service_order", None) == UniqueKey("service_order", frozenset())
    assert sqlite_key("FOREIGN KEY constraint failed") is None
    assert sqlite_key("NOT NULL constraint failed: service_order.tenant") is None


def unique_keys() -> set[UniqueKey]:
    found: set[UniqueKey] = set()
    for table in SQLModel.metadata.tables.values():
        for constraint in table.constraints:
            columns = getattr(constraint, "columns", None)
            if columns is not None and constraint.__class__.__name__ in {
                "UniqueConstraint",
                "PrimaryKeyConstraint",
            }:
                found.add(UniqueKey(table.name, frozenset(c.name for c in columns)))
        found.update(UniqueKey(table.name, frozenset({c.name})) for c in table.columns if c.unique)
        found.update(
            UniqueKey(table.name, frozenset(c.name for c in index.columns))
            for index in table.indexes
            if index.unique
        )
    return found


#: Columns whose values a client chooses (the rest of every unique key is made by the server:
#: ids, positions, the tenant of the token).
CLIENT_CHOSEN = {
    "tenant_order_id",
    "tenant_custom_service_id",
    "tenant_additional_information_id",
    "facility_ref",
}


def test_every_unique_key_a_client_value_can_hit_has_its_own_conflict() -> None:
    client_keys = {key for key in unique_keys() if key.columns & CLIENT_CHOSEN}
    assert client_keys == known_keys()
    for key in client_keys:
        problem = clash_conflict(key).problems[0]
        assert problem.code is ErrorCode.CONFLICT and problem.field


def test_any_other_unique_key_is_still_a_conflict() -> None:
    problem = clash_conflict(UniqueKey("service_job_link", frozenset({"service_job_id"})))
    assert [(p.code, p.field) for p in problem.problems] == [(ErrorCode.CONFLICT, None)]


class _PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("violation")
        self.sqlstate = sqlstate


def test_a_row_removed_by_a_racing_writer_is_a_conflict_on_either_database() -> None:
    from sqlalchemy.exc import IntegrityError

    sqlite = IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed"))
    postgres = IntegrityError("INSERT", {}, _PostgresError("23503"))
    unique = IntegrityError("INSERT", {}, _PostgresError("23505"))
    not_null = IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed: t.c"))
    assert foreign_key_violation(sqlite) and foreign_key_violation(postgres)
    assert not foreign_key_violation(unique) and not foreign_key_violation(not_null)
    assert removed_meanwhile().problems[0].code is ErrorCode.CONFLICT
