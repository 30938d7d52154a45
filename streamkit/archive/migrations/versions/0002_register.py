"""register of the fallen: the martyrs table and its text index

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 12:10:00

SQLite gets an FTS5 table over the derived search columns, kept in step by triggers; PostgreSQL gets trigram
indexes (pg_trgm) on the same columns, which ``ILIKE '%…%'`` uses.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_COLUMNS = ("search_name", "search_place", "search_unit")
_COLUMNS = ", ".join(SEARCH_COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in SEARCH_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in SEARCH_COLUMNS)
SQLITE_INDEX = [
    f"CREATE VIRTUAL TABLE martyr_search USING fts5({_COLUMNS}, content='martyrs', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER martyrs_ai AFTER INSERT ON martyrs BEGIN "
    f"INSERT INTO martyr_search(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER martyrs_ad AFTER DELETE ON martyrs BEGIN "
    f"INSERT INTO martyr_search(martyr_search, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER martyrs_au AFTER UPDATE OF {_COLUMNS} ON martyrs BEGIN "
    f"INSERT INTO martyr_search(martyr_search, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO martyr_search(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
]
POSTGRESQL_INDEX = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX ix_martyrs_{c}_trgm ON martyrs USING gin ({c} gin_trgm_ops)" for c in SEARCH_COLUMNS
]


def upgrade() -> None:
    op.create_table(
        "martyrs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("native_place", sa.String(length=200), nullable=False),
        sa.Column("born_text", sa.String(length=60), nullable=False),
        sa.Column("born_from", sa.Date(), nullable=True),
        sa.Column("born_to", sa.Date(), nullable=True),
        sa.Column("died_text", sa.String(length=60), nullable=False),
        sa.Column("died_from", sa.Date(), nullable=True),
        sa.Column("died_to", sa.Date(), nullable=True),
        sa.Column("unit", sa.String(length=300), nullable=False),
        sa.Column("post", sa.String(length=200), nullable=False),
        sa.Column("place_of_death", sa.String(length=300), nullable=False),
        sa.Column("cemetery", sa.String(length=200), nullable=False),
        sa.Column("section", sa.String(length=60), nullable=False),
        sa.Column("row", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("tomb_key", sa.String(length=300), nullable=True),
        sa.Column("biography", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_fields", sa.String(length=300), nullable=False),
        sa.Column("family_contact", sa.String(length=300), nullable=False),
        sa.Column("private_notes", sa.Text(), nullable=False),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("search_place", sa.Text(), nullable=False),
        sa.Column("search_unit", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("tomb_key"),
    )
    with op.batch_alter_table("martyrs", schema=None) as batch_op:
        batch_op.create_index("ix_martyrs_cemetery_section", ["cemetery", "section"], unique=False)
        batch_op.create_index(batch_op.f("ix_martyrs_died_from"), ["died_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_martyrs_name"), ["name"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_INDEX if dialect == "sqlite" else POSTGRESQL_INDEX if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("martyrs_au", "martyrs_ad", "martyrs_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS martyr_search")
    op.drop_table("martyrs")
