"""custom services and facility connections

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:08:49.295528
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON()
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "custom_service",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("tenant_custom_service_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name_localized", JSON, nullable=False),
        sa.Column("description_localized", JSON, nullable=True),
        sa.Column("execution_time_in_min", sa.Integer(), nullable=True),
        sa.Column("items_returnable", sa.Boolean(), nullable=False),
        sa.Column("items_required", sa.String(length=16), nullable=False),
        sa.Column("article_items", JSON, nullable=False),
        sa.Column("custom_attributes", JSON, nullable=True),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("last_modified", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "tenant", "tenant_custom_service_id", name="uq_custom_service_tenant_ref"
        ),
    )
    with op.batch_alter_table("custom_service", schema=None) as batch_op:
        batch_op.create_index(
            "ix_custom_service_tenant_created", ["tenant", "created", "id"], unique=False
        )

    op.create_table(
        "custom_service_additional_information",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("custom_service_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant_additional_information_id", sa.String(length=255), nullable=True),
        sa.Column("name_localized", JSON, nullable=False),
        sa.Column("description_localized", JSON, nullable=True),
        sa.Column("value_type", sa.String(length=32), nullable=False),
        sa.Column("is_mandatory", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["custom_service_id"], ["custom_service.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "custom_service_id",
            "tenant_additional_information_id",
            name="uq_additional_information_service_ref",
        ),
    )
    with op.batch_alter_table("custom_service_additional_information", schema=None) as batch_op:
        batch_op.create_index(
            "ix_additional_information_service", ["custom_service_id", "position"], unique=False
        )

    op.create_table(
        "custom_service_requirement",
        sa.Column("custom_service_id", sa.String(length=64), nullable=False),
        sa.Column("required_custom_service_id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["custom_service_id"], ["custom_service.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["required_custom_service_id"], ["custom_service.id"], ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("custom_service_id", "required_custom_service_id"),
    )
    with op.batch_alter_table("custom_service_requirement", schema=None) as batch_op:
        batch_op.create_index("ix_custom_service_requirement_tenant", ["tenant"], unique=False)

    op.create_table(
        "facility_custom_service_connection",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("facility_ref", sa.String(length=255), nullable=False),
        sa.Column("custom_service_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("execution_time_in_min", sa.Integer(), nullable=True),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("last_modified", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["custom_service_id"], ["custom_service.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "tenant", "facility_ref", "custom_service_id", name="uq_connection_facility_service"
        ),
    )
    with op.batch_alter_table("facility_custom_service_connection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_connection_tenant_facility",
            ["tenant", "facility_ref", "created", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("facility_custom_service_connection", schema=None) as batch_op:
        batch_op.drop_index("ix_connection_tenant_facility")

    op.drop_table("facility_custom_service_connection")
    with op.batch_alter_table("custom_service_requirement", schema=None) as batch_op:
        batch_op.drop_index("ix_custom_service_requirement_tenant")

    op.drop_table("custom_service_requirement")
    with op.batch_alter_table("custom_service_additional_information", schema=None) as batch_op:
        batch_op.drop_index("ix_additional_information_service")

    op.drop_table("custom_service_additional_information")
    with op.batch_alter_table("custom_service", schema=None) as batch_op:
        batch_op.drop_index("ix_custom_service_tenant_created")

    op.drop_table("custom_service")
