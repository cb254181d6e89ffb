"""persisted documents and fair use budgets

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 14:10:00.000000

- persisted_document: GraphQL documents by the SHA-256 of their text; scope '' for documents
  registered with `python -m app persist` (every tenant may run them), else the tenant of an
  automatic persisted query (bounded per tenant, the oldest forgotten first).
- fair_use_bucket: each caller's fair use state (GCRA's theoretical arrival time), written by
  one INSERT ... ON CONFLICT DO UPDATE per request on PostgreSQL (UNLOGGED there: no WAL, no
  flush per request; a crash empties it); unused on SQLite, where the state lives in the
  server's memory.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persisted_document",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "sha256"),
    )
    op.create_index(
        "ix_persisted_document_scope_created", "persisted_document", ["scope", "created"]
    )
    op.create_table(
        "fair_use_bucket",
        sa.Column("caller", sa.String(length=400), nullable=False),
        sa.Column("tat", sa.Float(precision=53), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("caller"),
    )
    op.create_index("ix_fair_use_bucket_tat", "fair_use_bucket", ["tat"])
    if op.get_bind().dialect.name == "postgresql":
        # Budgets need no durability: unlogged, a request's commit writes no WAL and waits
        # for no flush; a crash or a failover empties the table, which forgives debts.
        op.execute("ALTER TABLE fair_use_bucket SET UNLOGGED")


def downgrade() -> None:
    op.drop_index("ix_fair_use_bucket_tat", table_name="fair_use_bucket")
    op.drop_table("fair_use_bucket")
    op.drop_index("ix_persisted_document_scope_created", table_name="persisted_document")
    op.drop_table("persisted_document")
