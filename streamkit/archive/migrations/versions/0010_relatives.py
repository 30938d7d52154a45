"""the search for relatives: records marked, claims from people who think they are family

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relative_searches",
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("martyr_id"),
    )
    op.create_table(
        "relative_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("relative_claims", schema=None) as batch_op:
        batch_op.create_index("ix_relative_claims_status", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relative_claims_martyr_id"), ["martyr_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("relative_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relative_claims_martyr_id"))
        batch_op.drop_index("ix_relative_claims_status")
    op.drop_table("relative_claims")
    op.drop_table("relative_searches")
