"""Which unique constraint a write hit, from the IntegrityError either database raises, so a
race between two writers of one value can be reported as the clash it is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

#: PostgreSQL's SQLSTATEs for unique_violation and foreign_key_violation.
UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"

_SQLITE_MESSAGE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
_POSTGRES_DETAIL = re.compile(r"^Key \((?P<columns>[^)]*)\)=")


@dataclass(frozen=True, slots=True)
class UniqueKey:
    """A table's unique key: its table and the columns whose values clashed."""

    table: str
    columns: frozenset[str]


def unique_violation(error: IntegrityError) -> UniqueKey | None:
    """The key a unique violation hit (its columns empty when the database did not say);
    None for any other integrity error (a foreign key, a NOT NULL)."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == UNIQUE_VIOLATION:
        # asyncpg's UniqueViolationError, which SQLAlchemy's adapted error was raised from.
        cause = getattr(orig, "__cause__", None)
        return postgres_key(
            str(getattr(cause, "table_name", None) or ""), getattr(cause, "detail", None)
        )
    return sqlite_key(str(orig))


def sqlite_key(message: str) -> UniqueKey | None:
    """From SQLite's "UNIQUE constraint failed: t.a, t.b" (primary keys read the same)."""
    found = _SQLITE_MESSAGE.search(message.strip())
    if found is None:
        return None
    qualified = [c.strip().partition(".") for c in found["columns"].split(",")]
    tables = {table for table, _, _ in qualified}
    if len(tables) != 1:
        return UniqueKey("", frozenset())
    return UniqueKey(tables.pop(), frozenset(column for _, _, column in qualified))


def postgres_key(table: str, detail: str | None) -> UniqueKey:
    """From PostgreSQL's detail of the violation: "Key (a, b)=(1, 2) already exists."."""
    found = _POSTGRES_DETAIL.match(detail or "")
    if found is None:
        return UniqueKey(table, frozenset())
    return UniqueKey(table, frozenset(c.strip() for c in found["columns"].split(",")))


def foreign_key_violation(error: IntegrityError) -> bool:
    """Whether a write referred to a row another writer removed meanwhile (the writer's own
    check found it; the database, at commit, did not)."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == FOREIGN_KEY_VIOLATION:
        return True
    return "FOREIGN KEY constraint failed" in str(orig)
