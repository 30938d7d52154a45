"""tomb photo survey: the photos matched to the register and their quality scores

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tomb_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("martyr_id", sa.Integer(), nullable=True),
        sa.Column("match", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("candidates", sa.String(length=300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("orientation", sa.Integer(), nullable=False),
        sa.Column("sharpness", sa.Float(), nullable=False),
        sa.Column("dark_share", sa.Float(), nullable=False),
        sa.Column("bright_share", sa.Float(), nullable=False),
        sa.Column("dhash", sa.String(length=16), nullable=False),
        sa.Column("problems", sa.String(length=100), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["duplicate_of"], ["tomb_photos.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    with op.batch_alter_table("tomb_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tomb_photos_martyr_id"), ["martyr_id"], unique=False)


def downgrade() -> None:
    op.drop_table("tomb_photos")
