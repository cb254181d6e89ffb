"""Use cases: each one is one transaction over the repositories, calling the pure rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import SessionFactory


@asynccontextmanager
async def transaction(db: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls everything back if it raises."""
    async with db() as session, session.begin():
        yield session
