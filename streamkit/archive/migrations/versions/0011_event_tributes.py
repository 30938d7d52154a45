"""tributes on event pages, and running counts per event and per day and cemetery

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tributes", schema=None) as batch_op:
        batch_op.alter_column("martyr_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_tributes_event_id_events", "events", ["event_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index("ix_tributes_client_event_day", ["client", "event_id", "day"], unique=False)
        # the totals by day and cemetery move to tribute_day_counts: two fewer indexes to update per tribute
        batch_op.drop_index("ix_tributes_cemetery_day")
        batch_op.drop_index("ix_tributes_day")
    op.create_table(
        "event_tribute_counts",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "kind"),
    )
    op.create_table(
        "tribute_day_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cemetery", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "cemetery"),
    )
    # the tributes offered before this revision count in the daily totals too
    op.execute(
        "INSERT INTO tribute_day_counts (day, cemetery, count)"
        " SELECT day, cemetery, COUNT(*) FROM tributes GROUP BY day, cemetery"
    )


def downgrade() -> None:
    op.drop_table("tribute_day_counts")
    op.drop_table("event_tribute_counts")
    op.execute("DELETE FROM tributes WHERE martyr_id IS NULL")  # event tributes have no place in the older schema
    with op.batch_alter_table("tributes", schema=None) as batch_op:
        batch_op.create_index("ix_tributes_day", ["day"], unique=False)
        batch_op.create_index("ix_tributes_cemetery_day", ["cemetery", "day"], unique=False)
        batch_op.drop_index("ix_tributes_client_event_day")
        batch_op.drop_constraint("fk_tributes_event_id_events", type_="foreignkey")
        batch_op.drop_column("event_id")
        batch_op.alter_column("martyr_id", existing_type=sa.Integer(), nullable=False)
