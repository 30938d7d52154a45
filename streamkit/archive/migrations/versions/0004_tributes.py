"""tributes offered on martyrs' pages, and their running counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cemetery", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("tributes", schema=None) as batch_op:
        batch_op.create_index("ix_tributes_client_martyr_day", ["client", "martyr_id", "day"], unique=False)
        batch_op.create_index("ix_tributes_cemetery_day", ["cemetery", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_tributes_day"), ["day"], unique=False)
    op.create_table(
        "tribute_counts",
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("martyr_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("tribute_counts")
    with op.batch_alter_table("tributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tributes_day"))
        batch_op.drop_index("ix_tributes_cemetery_day")
        batch_op.drop_index("ix_tributes_client_martyr_day")
    op.drop_table("tributes")
