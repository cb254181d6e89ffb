"""service jobs, trees, line items, orders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:22:11.450734
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON()
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('linked_service_jobs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('process_ref', sa.String(length=255), nullable=False),
    sa.Column('facility_ref', sa.String(length=255), nullable=False),
    sa.Column('target_time', TIMESTAMP, nullable=False),
    sa.Column('tenant_order_id', sa.String(length=255), nullable=True),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.Column('last_modified', TIMESTAMP, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('linked_service_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_linked_service_jobs_tenant_order', ['tenant', 'tenant_order_id'], unique=False)

    op.create_table('service_order',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('tenant_order_id', sa.String(length=255), nullable=False),
    sa.Column('facility_ref', sa.String(length=255), nullable=False),
    sa.Column('target_time', TIMESTAMP, nullable=False),
    sa.Column('marketplace_id', sa.String(length=32), nullable=True),
    sa.Column('service_type', sa.String(length=255), nullable=True),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant', 'tenant_order_id', name='uq_service_order_tenant_order')
    )
    op.create_table('service_job',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('linked_service_jobs_id', sa.String(length=64), nullable=False),
    sa.Column('custom_service_id', sa.String(length=64), nullable=True),
    sa.Column('facility_ref', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('target_time', TIMESTAMP, nullable=False),
    sa.Column('process_ref', sa.String(length=255), nullable=False),
    sa.Column('operative_process_ref', sa.String(length=255), nullable=True),
    sa.Column('short_id', sa.String(length=255), nullable=True),
    sa.Column('tenant_order_id', sa.String(length=255), nullable=True),
    sa.Column('name_localized', JSON, nullable=False),
    sa.Column('description_localized', JSON, nullable=True),
    sa.Column('items_required', sa.String(length=16), nullable=False),
    sa.Column('items_returnable', sa.Boolean(), nullable=False),
    sa.Column('execution_time_in_min', sa.Integer(), nullable=True),
    sa.Column('additional_information', JSON, nullable=False),
    sa.Column('additional_information_values', JSON, nullable=False),
    sa.Column('required_line_items', JSON, nullable=False),
    sa.Column('assigned_users', JSON, nullable=False),
    sa.Column('target_time_history', JSON, nullable=False),
    sa.Column('custom_attributes', JSON, nullable=True),
    sa.Column('marketplace_id', sa.String(length=32), nullable=True),
    sa.Column('service_type', sa.String(length=255), nullable=True),
    sa.Column('status_reason', sa.String(length=4000), nullable=True),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.Column('last_modified', TIMESTAMP, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['custom_service_id'], ['custom_service.id'], ),
    sa.ForeignKeyConstraint(['linked_service_jobs_id'], ['linked_service_jobs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.create_index('ix_service_job_tenant_created', ['tenant', 'created', 'id'], unique=False)
        batch_op.create_index('ix_service_job_tenant_order', ['tenant', 'tenant_order_id'], unique=False)
        batch_op.create_index('ix_service_job_tree', ['linked_service_jobs_id'], unique=False)

    op.create_table('line_item',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('service_job_id', sa.String(length=64), nullable=False),
    sa.Column('linked_service_jobs_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('article', JSON, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('scannable_codes', JSON, nullable=False),
    sa.Column('custom_attributes', JSON, nullable=True),
    sa.ForeignKeyConstraint(['linked_service_jobs_id'], ['linked_service_jobs.id'], ),
    sa.ForeignKeyConstraint(['service_job_id'], ['service_job.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.create_index('ix_line_item_job', ['service_job_id', 'position'], unique=False)
        batch_op.create_index('ix_line_item_tree', ['linked_service_jobs_id'], unique=False)

    op.create_table('service_job_link',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('linked_service_jobs_id', sa.String(length=64), nullable=False),
    sa.Column('service_job_id', sa.String(length=64), nullable=False),
    sa.Column('parent_link_id', sa.String(length=64), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['linked_service_jobs_id'], ['linked_service_jobs.id'], ),
    sa.ForeignKeyConstraint(['parent_link_id'], ['service_job_link.id'], ),
    sa.ForeignKeyConstraint(['service_job_id'], ['service_job.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_job_id')
    )
    with op.batch_alter_table('service_job_link', schema=None) as batch_op:
        batch_op.create_index('ix_service_job_link_tree', ['linked_service_jobs_id', 'position'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_job_link', schema=None) as batch_op:
        batch_op.drop_index('ix_service_job_link_tree')

    op.drop_table('service_job_link')
    with op.batch_alter_table('line_item', schema=None) as batch_op:
        batch_op.drop_index('ix_line_item_tree')
        batch_op.drop_index('ix_line_item_job')

    op.drop_table('line_item')
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        batch_op.drop_index('ix_service_job_tree')
        batch_op.drop_index('ix_service_job_tenant_order')
        batch_op.drop_index('ix_service_job_tenant_created')

    op.drop_table('service_job')
    op.drop_table('service_order')
    with op.batch_alter_table('linked_service_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_linked_service_jobs_tenant_order')

    op.drop_table('linked_service_jobs')
