"""service data

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:36:35.916606
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON()
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('service_data',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('linked_service_jobs_id', sa.String(length=64), nullable=False),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.Column('last_modified', TIMESTAMP, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['linked_service_jobs_id'], ['linked_service_jobs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('linked_service_jobs_id')
    )
    op.create_table('service_data_item',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('service_data_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('article', JSON, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_data_id'], ['service_data.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_data_item', schema=None) as batch_op:
        batch_op.create_index('ix_service_data_item_data', ['service_data_id', 'position'], unique=False)

    op.create_table('service_data_usage',
    sa.Column('service_data_item_id', sa.String(length=64), nullable=False),
    sa.Column('service_job_id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('applied_quantity', sa.Integer(), nullable=False),
    sa.Column('items_returnable', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['service_data_item_id'], ['service_data_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_job_id'], ['service_job.id'], ),
    sa.PrimaryKeyConstraint('service_data_item_id', 'service_job_id')
    )
    with op.batch_alter_table('service_data_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_data_usage_service_job_id'), ['service_job_id'], unique=False)

    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sub_status', sa.String(length=32), nullable=True))

    # Trees made before this revision get their service data: one per tree, holding the line
    # items of its jobs (nothing selected yet).
    op.execute(
        "INSERT INTO service_data (id, tenant, linked_service_jobs_id, created, last_modified, "
        "version) SELECT 'sd-' || id, tenant, id, created, last_modified, 1 "
        "FROM linked_service_jobs"
    )
    op.execute(
        "INSERT INTO service_data_item (id, tenant, service_data_id, position, article, quantity) "
        "SELECT line_item.id, line_item.tenant, 'sd-' || line_item.linked_service_jobs_id, "
        "line_item.position, line_item.article, line_item.quantity FROM line_item"
    )



def downgrade() -> None:
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.drop_column('sub_status')

    with op.batch_alter_table('service_data_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_data_usage_service_job_id'))

    op.drop_table('service_data_usage')
    with op.batch_alter_table('service_data_item', schema=None) as batch_op:
        batch_op.drop_index('ix_service_data_item_data')

    op.drop_table('service_data_item')
    op.drop_table('service_data')
