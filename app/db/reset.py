"""Empty a database completely (every table, the migrations' bookkeeping included), for
`python -m app reset`: what it would delete is told first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True, slots=True)
class Contents:
    #: The database's address without its password.
    url: str
    #: Row count per table, largest first (Alembic's own table left out).
    rows: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.rows)

    def summary(self, shown: int = 5) -> str:
        """`12 tables, 1,234 rows: 1,000 service_job, …` (the largest tables first)."""
        if not self.rows:
            return "no tables yet"
        top = ", ".join(f"{n:,} {table}" for table, n in self.rows[:shown] if n)
        more = ", \u2026" if len(self.rows) > shown and self.rows[shown][1] else ""
        rows = f"{self.total:,} row" + ("" if self.total == 1 else "s")
        return f"{len(self.rows)} tables, {rows}" + (f": {top}{more}" if top else "")


async def contents(engine: AsyncEngine) -> Contents:
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        rows: list[tuple[str, int]] = []
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            count = (await connection.execute(select(func.count()).select_from(table))).scalar()
            rows.append((table.name, int(count or 0)))
    rows.sort(key=lambda row: (-row[1], row[0]))
    return Contents(url=engine.url.render_as_string(hide_password=True), rows=rows)


async def drop_everything(engine: AsyncEngine) -> None:
    """Drops every table the database has (found by reflection, so tables of migrations newer
    than this code go too), in foreign-key order, in one transaction."""
    metadata = MetaData()
    async with engine.begin() as connection:
        await connection.run_sync(metadata.reflect)
        await connection.run_sync(metadata.drop_all)
