"""finding jobs and trees: sort and filter indexes, assigned users by id or username

`serviceJobs` and `searchLinkedServiceJobs` page by (target time | last modified | created, id)
within a tenant; each order has its index. Assigned users get a table of their own (copied from
the job's `assigned_users`, written with it) so that `assignedUser` is an indexed look-up.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_INDEXES = {
    'ix_service_job_tenant_target_time': ['tenant', 'target_time', 'id'],
    'ix_service_job_tenant_last_modified': ['tenant', 'last_modified', 'id'],
    'ix_service_job_tenant_facility_target': ['tenant', 'facility_ref', 'target_time'],
    'ix_service_job_tenant_status_target': ['tenant', 'status', 'target_time'],
    'ix_service_job_tenant_marketplace': ['tenant', 'marketplace_id'],
}
TREE_INDEXES = {
    'ix_linked_service_jobs_tenant_target_time': ['tenant', 'target_time', 'id'],
    'ix_linked_service_jobs_tenant_last_modified': ['tenant', 'last_modified', 'id'],
}


def upgrade() -> None:
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        for name, columns in JOB_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('linked_service_jobs', schema=None) as batch_op:
        for name, columns in TREE_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_tenant_start', ['tenant', 'start_time'], unique=False)

    assigned = op.create_table('service_job_assigned_user',
    sa.Column('service_job_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=True),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['service_job_id'], ['service_job.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_job_id', 'position')
    )
    with op.batch_alter_table('service_job_assigned_user', schema=None) as batch_op:
        batch_op.create_index('ix_assigned_user_tenant_user', ['tenant', 'user_id'], unique=False)
        batch_op.create_index(
            'ix_assigned_user_tenant_username', ['tenant', 'username'], unique=False
        )

    # Jobs assigned before this revision: their users were ids only.
    jobs = sa.table(
        'service_job',
        sa.column('id', sa.String()),
        sa.column('tenant', sa.String()),
        sa.column('assigned_users', sa.JSON()),
    )
    connection = op.get_bind()
    rows = [
        {
            'service_job_id': job.id,
            'position': position,
            'tenant': job.tenant,
            'user_id': user.get('userId'),
            'username': user.get('username'),
        }
        for job in connection.execute(sa.select(jobs))
        for position, user in enumerate(job.assigned_users or ())
    ]
    if rows:
        op.bulk_insert(assigned, rows)


def downgrade() -> None:
    with op.batch_alter_table('service_job_assigned_user', schema=None) as batch_op:
        batch_op.drop_index('ix_assigned_user_tenant_username')
        batch_op.drop_index('ix_assigned_user_tenant_user')
    op.drop_table('service_job_assigned_user')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_tenant_start')
    with op.batch_alter_table('linked_service_jobs', schema=None) as batch_op:
        for name in TREE_INDEXES:
            batch_op.drop_index(name)
    with op.batch_alter_table('service_job', schema=None) as batch_op:
        for name in JOB_INDEXES:
            batch_op.drop_index(name)
