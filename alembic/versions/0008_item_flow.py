"""items flow through a tree (seed 003): a job's selected items are its line items

A line item names the service data item its units are of (`service_item_ref`): itself for the
items a job was created with, another item for units the job selected. Selections recorded
before this revision (service_data_usage rows, whose applied quantity included what was passed
on from beneath) become selected line items holding only the units the job added itself; the
usage rows are then derived again by the new rule: from the lowest holder up to the root,
sequence 1, 2, 3 … (app.domain.service_data.executed, restated here so that the migration does
not change when the application does).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:30:00.000000
"""

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _trees(bind: sa.engine.Connection) -> dict[str, dict[str, Any]]:
    """Per tree: parent job of each job, depth of each job, items_returnable of each job."""
    links = bind.execute(
        sa.text(
            "SELECT l.id, l.parent_link_id, l.service_job_id, l.linked_service_jobs_id, "
            "j.items_returnable FROM service_job_link l JOIN service_job j "
            "ON j.id = l.service_job_id"
        )
    ).all()
    job_of_link = {row.id: row.service_job_id for row in links}
    trees: dict[str, dict[str, Any]] = {}
    for row in links:
        tree = trees.setdefault(row.linked_service_jobs_id, {"parent": {}, "returnable": {}})
        tree["parent"][row.service_job_id] = (
            job_of_link[row.parent_link_id] if row.parent_link_id else None
        )
        tree["returnable"][row.service_job_id] = bool(row.items_returnable)
    return trees


def _path_up(parent: dict[str, str | None], job: str) -> list[str]:
    path = [job]
    while parent.get(path[-1]) is not None:
        path.append(parent[path[-1]])  # type: ignore[arg-type]
    return path


def upgrade() -> None:
    # REQUIRED_LINE_ITEMS_UNFULFILLABLE is 33 characters.
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.alter_column(
            'sub_status',
            existing_type=sa.String(length=32),
            type_=sa.String(length=48),
            existing_nullable=True,
        )
    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_item_ref', sa.String(length=64), nullable=True))
    op.execute("UPDATE line_item SET service_item_ref = id")

    bind = op.get_bind()
    trees = _trees(bind)
    usages = bind.execute(
        sa.text(
            "SELECT u.service_data_item_id, u.service_job_id, u.tenant, u.applied_quantity, "
            "i.article, j.linked_service_jobs_id FROM service_data_usage u "
            "JOIN service_data_item i ON i.id = u.service_data_item_id "
            "JOIN service_job j ON j.id = u.service_job_id"
        )
    ).all()
    by_item: dict[str, list[Any]] = {}
    for row in usages:
        by_item.setdefault(row.service_data_item_id, []).append(row)
    for item_id, rows in by_item.items():
        parent = trees[rows[0].linked_service_jobs_id]["parent"]
        # Old applied quantities grow along the chain: the units a job added are its applied
        # quantity minus that of the nearest user beneath it.
        rows.sort(key=lambda r: -len(_path_up(parent, r.service_job_id)))
        below = 0
        for row in rows:
            added = row.applied_quantity - below
            below = row.applied_quantity
            if added <= 0:
                continue
            position = bind.execute(
                sa.text(
                    "SELECT COALESCE(MAX(position), -1) + 1 FROM line_item "
                    "WHERE service_job_id = :job"
                ),
                {"job": row.service_job_id},
            ).scalar_one()
            bind.execute(
                sa.text(
                    "INSERT INTO line_item (id, tenant, service_job_id, linked_service_jobs_id, "
                    "position, article, quantity, scannable_codes, service_item_ref) VALUES "
                    "(:id, :tenant, :job, :tree, :position, :article, :quantity, :codes, :item)"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "tenant": row.tenant,
                    "job": row.service_job_id,
                    "tree": row.linked_service_jobs_id,
                    "position": position,
                    "article": json.dumps(_json(row.article)),
                    "quantity": added,
                    "codes": "[]",
                    "item": item_id,
                },
            )

    op.execute("DELETE FROM service_data_usage")
    held = bind.execute(
        sa.text(
            "SELECT l.service_item_ref, l.service_job_id, l.linked_service_jobs_id, l.tenant, "
            "SUM(l.quantity) AS units FROM line_item l "
            "GROUP BY l.service_item_ref, l.service_job_id, l.linked_service_jobs_id, l.tenant"
        )
    ).all()
    holders: dict[str, list[Any]] = {}
    for row in held:
        holders.setdefault(row.service_item_ref, []).append(row)
    for item_id, rows in holders.items():
        tree = trees[rows[0].linked_service_jobs_id]
        units = {row.service_job_id: int(row.units) for row in rows}
        lowest = max(units, key=lambda job: len(_path_up(tree["parent"], job)))
        running = 0
        for sequence, job in enumerate(_path_up(tree["parent"], lowest), start=1):
            running += units.get(job, 0)
            bind.execute(
                sa.text(
                    "INSERT INTO service_data_usage (service_data_item_id, service_job_id, "
                    "tenant, sequence, applied_quantity, items_returnable) VALUES "
                    "(:item, :job, :tenant, :sequence, :applied, :returnable)"
                ),
                {
                    "item": item_id,
                    "job": job,
                    "tenant": rows[0].tenant,
                    "sequence": sequence,
                    "applied": running,
                    "returnable": tree["returnable"].get(job, False),
                },
            )

    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.alter_column(
            'service_item_ref', existing_type=sa.String(length=64), nullable=False
        )


def downgrade() -> None:
    # Back to the previous rule: usage rows are the selections alone (not what a job was
    # created with), each applied quantity including what was selected beneath it, sequence in
    # chain order from the bottom.
    bind = op.get_bind()
    trees = _trees(bind)
    selected = bind.execute(
        sa.text(
            "SELECT service_item_ref, service_job_id, linked_service_jobs_id, tenant, "
            "SUM(quantity) AS units FROM line_item WHERE service_item_ref <> id "
            "GROUP BY service_item_ref, service_job_id, linked_service_jobs_id, tenant"
        )
    ).all()
    op.execute("DELETE FROM service_data_usage")
    by_item: dict[str, list[Any]] = {}
    for row in selected:
        by_item.setdefault(row.service_item_ref, []).append(row)
    for item_id, rows in by_item.items():
        tree = trees[rows[0].linked_service_jobs_id]
        rows.sort(key=lambda r: -len(_path_up(tree["parent"], r.service_job_id)))
        running = 0
        for sequence, row in enumerate(rows, start=1):
            running += int(row.units)
            bind.execute(
                sa.text(
                    "INSERT INTO service_data_usage (service_data_item_id, service_job_id, "
                    "tenant, sequence, applied_quantity, items_returnable) VALUES "
                    "(:item, :job, :tenant, :sequence, :applied, :returnable)"
                ),
                {
                    "item": item_id,
                    "job": row.service_job_id,
                    "tenant": row.tenant,
                    "sequence": sequence,
                    "applied": running,
                    "returnable": tree["returnable"].get(row.service_job_id, False),
                },
            )
    op.execute("DELETE FROM line_item WHERE service_item_ref <> id")
    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.drop_column('service_item_ref')
    # The previous revision knows one item sub-status only.
    op.execute(
        "UPDATE service_job SET sub_status = 'LINE_ITEMS_MISSING' "
        "WHERE sub_status = 'REQUIRED_LINE_ITEMS_UNFULFILLABLE'"
    )
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.alter_column(
            'sub_status',
            existing_type=sa.String(length=48),
            type_=sa.String(length=32),
            existing_nullable=True,
        )
