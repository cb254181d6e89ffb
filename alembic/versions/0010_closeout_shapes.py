"""close-out and job shapes: when a job ended, cancel reasons as a shape, the job's tenant
custom service id

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:30:00.000000

- service_job.ended_at: when the job became FINISHED, CANCELLED or OBSOLETE; an order takes
  the outcome of the job that ended last (DOMAIN §7). Jobs that had ended before this
  migration take their last_modified.
- service_job.status_reason_localized / status_reason_code: a cancel reason's localized text
  and a marketplace job's reason code, beside the free text already in status_reason.
- service_job.tenant_custom_service_id: copied from its custom service on creation (like the
  service's other fields); existing jobs take their service's current one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column('status_reason_localized', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('status_reason_code', sa.String(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column('tenant_custom_service_id', sa.String(length=255), nullable=True)
        )
    op.execute(
        "UPDATE service_job SET ended_at = last_modified "
        "WHERE status IN ('FINISHED', 'CANCELLED', 'OBSOLETE')"
    )
    op.execute(
        "UPDATE service_job SET tenant_custom_service_id = ("
        "SELECT custom_service.tenant_custom_service_id FROM custom_service "
        "WHERE custom_service.id = service_job.custom_service_id) "
        "WHERE custom_service_id IS NOT NULL"
    )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch would copy and drop
    # service_job, which the foreign keys of its links, items and appointments refuse once the
    # table holds rows.
    for column in (
        'tenant_custom_service_id', 'status_reason_code', 'status_reason_localized', 'ended_at'
    ):
        op.drop_column('service_job', column)
