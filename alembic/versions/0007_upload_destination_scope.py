"""an upload's uploader scope

An upload not yet recorded on an appointment belongs to its uploader: the token's subject and,
now, its facility scope (the SHA-256 of its sorted facility ids; NULL for a tenant-wide token).
Uploads made before this revision have NULL: only tenant-wide tokens of their subject see them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('upload_destination', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_scope', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('upload_destination', schema=None) as batch_op:
        batch_op.drop_column('created_scope')
