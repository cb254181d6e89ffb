"""webhooks: subscriptions and their deliveries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:00:00.000000

- webhook_subscription: a tenant's callback url, the event types (and facilities) it receives,
  its signing secret sealed with AES-256-GCM, and `last_event_id`, how far the tenant's events
  have been turned into deliveries for it.
- webhook_delivery: one event for one subscription (unique per pair), its status, attempts,
  the next attempt's time (also the lease of an attempt in flight) and the last outcome.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('webhook_subscription',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('callback_url', sa.String(length=2048), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('facility_refs', sa.JSON(), nullable=True),
    sa.Column('sealed_secret', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_subscription_tenant_created', ['tenant', 'created', 'id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_type', sa.String(length=48), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', TIMESTAMP, nullable=True),
    sa.Column('claim', sa.String(length=64), nullable=True),
    sa.Column('last_attempt_at', TIMESTAMP, nullable=True),
    sa.Column('last_http_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', TIMESTAMP, nullable=True),
    sa.Column('created', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'event_id', name='uq_webhook_delivery_event')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_delivery_subscription_created', ['subscription_id', 'created', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_subscription_created')
        batch_op.drop_index('ix_webhook_delivery_due')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_subscription_tenant_created')

    op.drop_table('webhook_subscription')
