"""Running Core statements on an ORM session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncSession as SAAsyncSession
from sqlmodel.ext.asyncio.session import AsyncSession


async def execute_core(
    session: AsyncSession,
    statement: Executable,
    params: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> Result[Any]:
    """Core statements (driver rows, multi-row inserts) through SQLAlchemy's own `execute`.
    SQLModel's override only deprecates it in favour of `exec`, which is typed for ORM selects;
    driver rows skip ORM hydration on the hot read paths."""
    return await SAAsyncSession.execute(session, statement, params)
