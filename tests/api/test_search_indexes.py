"""The lists are read through their indexes: each order of `serviceJobs` and
`searchLinkedServiceJobs` is served by its (tenant, sort key, id) index of migration 0009, on
SQLite and on PostgreSQL (told to avoid sequential scans, as it would on these tiny tables)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.graphql import GraphQLClient
from tests.support.jobs import job, service

# No status filter: with one, PostgreSQL may as well read (tenant, status, target_time) and
# sort the few rows it finds, which says nothing about the order's own index.
PAGE = """query($orderBy: ServiceJobOrderInput) {
  serviceJobs(first: 5, orderBy: $orderBy) { nodes { id } } }"""
TREES = """query($orderBy: LinkedServiceJobsOrderInput) {
  searchLinkedServiceJobs(last: 5, orderBy: $orderBy) { nodes { id } } }"""


class Captured:
    """The statements (as sent to the driver, with their parameters) that read a table."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def __call__(self, *args: Any) -> None:
        self.sent.append((args[2], args[3]))

    def reading(self, table: str) -> tuple[str, Any]:
        return next(s for s in self.sent if s[0].lstrip().startswith("SELECT") and table in s[0])


@pytest.fixture
def captured(engine: AsyncEngine) -> Iterator[Captured]:
    capture = Captured()
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    yield capture
    event.remove(engine.sync_engine, "before_cursor_execute", capture)


async def plan(engine: AsyncEngine, statement: str, parameters: Any) -> str:
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(row[-1]) for row in result)
        await connection.exec_driver_sql("SET enable_seqscan = off")
        result = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        return "\n".join(str(row[0]) for row in result)


@pytest.mark.parametrize(
    ("query", "table", "field", "index"),
    [
        (PAGE, "service_job", "TARGET_TIME", "ix_service_job_tenant_target_time"),
        (PAGE, "service_job", "LAST_MODIFIED", "ix_service_job_tenant_last_modified"),
        (TREES, "linked_service_jobs", "TARGET_TIME", "ix_linked_service_jobs_tenant_target_time"),
        (
            TREES,
            "linked_service_jobs",
            "LAST_MODIFIED",
            "ix_linked_service_jobs_tenant_last_modified",
        ),
    ],
)
async def test_each_order_reads_its_index(
    gql: GraphQLClient,
    engine: AsyncEngine,
    captured: Captured,
    query: str,
    table: str,
    field: str,
    index: str,
) -> None:
    tailoring = await service(gql, "tailoring")
    for hour in range(3):
        await job(gql, tailoring, targetTime=f"2026-12-01T0{hour}:00:00Z")
    captured.sent.clear()
    await gql(query, {"orderBy": {"field": field, "direction": "DESC"}})
    statement, parameters = captured.reading(f"FROM {table}")
    shown = await plan(engine, statement, parameters)
    assert index in shown, shown
