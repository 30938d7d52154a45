"""proxy tomb-sweeping requests and their photo sets

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proxy_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("martyr_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("preferred_date", sa.Date(), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("wiped", sa.Boolean(), nullable=False),
        sa.Column("flowers", sa.Boolean(), nullable=False),
        sa.Column("photos", sa.Boolean(), nullable=False),
        sa.Column("called", sa.Boolean(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("video", sa.String(length=200), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=True),
        sa.Column("link_expires_at", sa.DateTime(), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["martyr_id"], ["martyrs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entry_id"], ["archive_entries.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_hash"),
    )
    with op.batch_alter_table("proxy_sweeps", schema=None) as batch_op:
        batch_op.create_index("ix_proxy_sweeps_status", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proxy_sweeps_martyr_id"), ["martyr_id"], unique=False)
    op.create_table(
        "proxy_sweep_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("original", sa.String(length=200), nullable=False),
        sa.Column("derivative", sa.String(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sharpness", sa.Float(), nullable=False),
        sa.Column("dark_share", sa.Float(), nullable=False),
        sa.Column("bright_share", sa.Float(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sweep_id"], ["proxy_sweeps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("proxy_sweep_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proxy_sweep_photos_sweep_id"), ["sweep_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proxy_sweep_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proxy_sweep_photos_sweep_id"))
    op.drop_table("proxy_sweep_photos")
    with op.batch_alter_table("proxy_sweeps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proxy_sweeps_martyr_id"))
        batch_op.drop_index("ix_proxy_sweeps_status")
    op.drop_table("proxy_sweeps")
