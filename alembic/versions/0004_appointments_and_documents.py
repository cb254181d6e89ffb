"""appointments and documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:44:20.467443
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON()
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('appointment',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('service_job_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_time', TIMESTAMP, nullable=False),
    sa.Column('duration_in_minutes', sa.Integer(), nullable=False),
    sa.Column('assigned_technicians', JSON, nullable=False),
    sa.Column('rescheduled_appointment_id', sa.String(length=64), nullable=True),
    sa.Column('reschedule_reason_code', sa.String(length=64), nullable=True),
    sa.Column('estimated_arrival_start', TIMESTAMP, nullable=True),
    sa.Column('estimated_arrival_end', TIMESTAMP, nullable=True),
    sa.Column('fulfillment_start', TIMESTAMP, nullable=True),
    sa.Column('fulfillment_end', TIMESTAMP, nullable=True),
    sa.Column('appointment_resources', JSON, nullable=False),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.Column('last_modified', TIMESTAMP, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rescheduled_appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['service_job_id'], ['service_job.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_job', ['service_job_id', 'created'], unique=False)

    op.create_table('upload_destination',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=8), nullable=False),
    sa.Column('content_length', sa.Integer(), nullable=False),
    sa.Column('content_md5', sa.String(length=64), nullable=True),
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('iv', sa.LargeBinary(), nullable=False),
    sa.Column('expires_at', TIMESTAMP, nullable=False),
    sa.Column('uploaded_at', TIMESTAMP, nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('appointment_id', sa.String(length=64), nullable=True),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('upload_destination', schema=None) as batch_op:
        batch_op.create_index('ix_upload_destination_appointment', ['appointment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('upload_destination', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_destination_appointment')

    op.drop_table('upload_destination')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_job')

    op.drop_table('appointment')
