"""Use cases: each one is one transaction over the repositories, calling the pure rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import HUB_KEY, SessionFactory
from app.db.unique import foreign_key_violation, unique_violation
from app.events import outbox
from app.services.clashes import clash_conflict, removed_meanwhile


@asynccontextmanager
async def transaction(db: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls everything back if it raises.
    The events of what it changed are written last, in the same transaction, and handed to
    this process's subscribers once it has committed. A unique key violated by a writer that
    raced another, or a row referred to that another writer removed meanwhile, is the CONFLICT
    it is (app/services/clashes.py), not an unexpected error."""
    try:
        async with db() as session:
            async with session.begin():
                yield session
                notices = await outbox.write_outbox(session)
            if notices:
                hub = session.info.get(HUB_KEY)
                if hub is not None:
                    hub.committed(notices)
    except IntegrityError as error:
        key = unique_violation(error)
        if key is not None:
            raise clash_conflict(key) from error
        if foreign_key_violation(error):
            raise removed_meanwhile() from error
        raise
