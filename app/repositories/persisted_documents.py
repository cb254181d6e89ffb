"""Persisted documents by scope and hash (app/db/edge_tables.py); flush, never commit."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.edge_tables import PersistedDocument
from app.db.types import utcnow

DOCUMENT = PersistedDocument


async def find(
    session: AsyncSession, sha256: str, scopes: Collection[str]
) -> tuple[str, str] | None:
    """The scope and text of a document stored under `sha256` in any of `scopes` (all texts
    of one hash are the same text)."""
    statement = (
        select(DOCUMENT.scope, DOCUMENT.text)
        .where(col(DOCUMENT.sha256) == sha256, col(DOCUMENT.scope).in_(list(scopes)))
        .order_by(col(DOCUMENT.scope))
        .limit(1)
    )
    row = (await session.exec(statement)).first()
    return None if row is None else (row[0], row[1])


async def insert_if_absent(session: AsyncSession, scope: str, sha256: str, text: str) -> bool:
    """Store a document unless the scope already holds it; whether a row was written. Two
    writers of the same document at once both succeed (ON CONFLICT DO NOTHING)."""
    bind = session.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(DOCUMENT)
        .values(scope=scope, sha256=sha256, text=text, created=utcnow())
        .on_conflict_do_nothing(index_elements=["scope", "sha256"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def count(session: AsyncSession, scope: str) -> int:
    statement = select(func.count()).select_from(DOCUMENT).where(col(DOCUMENT.scope) == scope)
    return int((await session.exec(statement)).one())


async def keep_newest(session: AsyncSession, scope: str, keep: int) -> None:
    """Forget the scope's documents beyond its `keep` newest."""
    beyond = (
        select(DOCUMENT.sha256)
        .where(col(DOCUMENT.scope) == scope)
        .order_by(col(DOCUMENT.created).desc(), col(DOCUMENT.sha256).desc())
        .offset(keep)
    )
    await session.exec(
        delete(DOCUMENT).where(col(DOCUMENT.scope) == scope, col(DOCUMENT.sha256).in_(beyond))
    )
