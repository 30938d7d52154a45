"""the cap's two indexes on tributes become partial: a row is in the one of its target only

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXES = {"ix_tributes_client_martyr_day": "martyr_id", "ix_tributes_client_event_day": "event_id"}


def upgrade() -> None:
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="tributes")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "tributes", ["client", column, "day"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="tributes")
        op.create_index(name, "tributes", ["client", column, "day"])
