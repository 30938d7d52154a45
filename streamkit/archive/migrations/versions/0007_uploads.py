"""an archive entry's own HLS ladder (uploaded recordings)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("archive_entries") as batch:
        batch.add_column(sa.Column("hls_file", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("archive_entries") as batch:
        batch.drop_column("hls_file")
