"""a job's line item positions are unique

Tree reads order line items by position alone; the index that serves a job's items now also
guarantees that order is total.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:40:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.drop_index('ix_line_item_job')
        batch_op.create_index('ix_line_item_job', ['service_job_id', 'position'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.drop_index('ix_line_item_job')
        batch_op.create_index('ix_line_item_job', ['service_job_id', 'position'], unique=False)
