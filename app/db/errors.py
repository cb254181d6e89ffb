"""Failures that mean the database could not be reached for a moment (a pooler or server
restarting, a connection dropped or refused), as opposed to a bug: the client may retry."""

from __future__ import annotations

from asyncpg.exceptions import InterfaceError, InternalClientError
from sqlalchemy.exc import DBAPIError

#: Operator intervention (shutdown, crash recovery, not accepting connections yet) and too
#: many connections; every SQLSTATE of class 08 (connection exception) counts too. PgBouncer
#: answers with these when it shuts down or cannot reach the server.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` (or what it wraps) is the database being out of reach."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError):
            return True
        if isinstance(current, InterfaceError) and "connection is closed" in str(current):
            # asyncpg's own word for a connection the server closed (read on the driver's
            # calls, app/db/row_reads.py), as SQLAlchemy's asyncpg dialect recognises it.
            return True
        if isinstance(current, InternalClientError) and str(current).startswith(
            "cannot switch to state"
        ):
            # asyncpg's protocol found the server's goodbye (a terminated backend's FATAL,
            # sent while the connection idled) when the next statement began: it is gone.
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
        ):
            return True
        wrapped = [getattr(current, "orig", None), getattr(current, "driver_exception", None)]
        pending += [current.__cause__, current.__context__]
        pending += [w for w in wrapped if isinstance(w, BaseException)]
    return False
