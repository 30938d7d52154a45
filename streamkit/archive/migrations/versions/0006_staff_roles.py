"""staff roles, districts and their cemeteries

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00

Every account that exists before this revision becomes an administrator of the bureau (no district), so nobody
who could sign in before is locked out after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "district_cemeteries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("cemetery", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cemetery"),
    )
    op.create_index("ix_district_cemeteries_district_id", "district_cemeteries", ["district_id"])
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_users_district_id", ["district_id"], unique=False)
        batch_op.create_foreign_key("fk_users_district_id", "districts", ["district_id"], ["id"])
    op.execute("INSERT INTO user_roles (user_id, role) SELECT id, 'administrator' FROM users")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_district_id", type_="foreignkey")
        batch_op.drop_index("ix_users_district_id")
        batch_op.drop_column("district_id")
    op.drop_table("user_roles")
    op.drop_index("ix_district_cemeteries_district_id", table_name="district_cemeteries")
    op.drop_table("district_cemeteries")
    op.drop_table("districts")
