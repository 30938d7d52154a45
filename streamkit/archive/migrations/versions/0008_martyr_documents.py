"""documents shown with a martyr's record, and where recordings and tours show a martyr

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "martyr_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("transcription", sa.Text(), nullable=False),
        sa.Column("original", sa.String(length=500), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("sizes", sa.String(length=200), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("martyr_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_martyr_documents_martyr_id"), ["martyr_id"], unique=False)
    op.create_table(
        "martyr_appearances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entry_id"], ["archive_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "martyr_id", "start_ms"),
    )
    with op.batch_alter_table("martyr_appearances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_martyr_appearances_martyr_id"), ["martyr_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_martyr_appearances_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    op.drop_table("martyr_appearances")
    op.drop_table("martyr_documents")
