"""Migration 0009 on a database that already holds jobs: their assigned users (ids, as stored
before) become searchable, and the revision goes down and up again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Connection

from alembic import command
from app.db import tables
from app.db.engine import create_engine
from app.db.migrate import alembic_config, upgrade

ASSIGNED = tables.ServiceJobAssignedUser.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _names(connection: Connection) -> tuple[set[str], set[str]]:
    inspector = inspect(connection)
    return set(inspector.get_table_names()), {
        index["name"] for index in inspector.get_indexes("service_job") if index["name"]
    }


def _job(ident: str, users: list[dict[str, str]]) -> dict[str, object]:
    return {
        "id": ident,
        "tenant": "acme",
        "linked_service_jobs_id": "tree-1",
        "facility_ref": "fac-1",
        "status": "OPEN",
        "target_time": NOW,
        "process_ref": "p",
        "name_localized": {"en_US": "Tailoring"},
        "items_required": "NONE",
        "items_returnable": False,
        "additional_information": [],
        "additional_information_values": {},
        "required_line_items": [],
        "assigned_users": users,
        "target_time_history": [],
        "created": NOW,
        "last_modified": NOW,
        "version": 1,
    }


async def test_0009_copies_existing_assignments_and_goes_down_and_up(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, "0008")
            table_names, indexes = await connection.run_sync(_names)
            assert "service_job_assigned_user" not in table_names
            assert "ix_service_job_tenant_target_time" not in indexes
            await connection.execute(
                insert(tables.LinkedServiceJobs.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": "tree-1",
                        "tenant": "acme",
                        "process_ref": "p",
                        "facility_ref": "fac-1",
                        "target_time": NOW,
                        "created": NOW,
                        "last_modified": NOW,
                        "version": 1,
                    }
                ],
            )
            await connection.execute(
                insert(tables.ServiceJob.__table__),  # type: ignore[attr-defined]
                [_job("job-1", [{"userId": "ann"}, {"userId": "bob"}]), _job("job-2", [])],
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(ASSIGNED.c.service_job_id, ASSIGNED.c.position, ASSIGNED.c.tenant)
                .add_columns(ASSIGNED.c.user_id, ASSIGNED.c.username)
                .order_by(ASSIGNED.c.position)
            )
            assert [tuple(r) for r in rows] == [
                ("job-1", 0, "acme", "ann", None),
                ("job-1", 1, "acme", "bob", None),
            ]
            table_names, indexes = await connection.run_sync(_names)
            assert "service_job_assigned_user" in table_names
            assert {"ix_service_job_tenant_target_time", "ix_service_job_tenant_last_modified"} <= (
                indexes
            )
    finally:
        await upgrade(engine)  # whatever happened, the shared database ends at head
        await engine.dispose()
