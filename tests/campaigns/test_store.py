"""The campaign's table migrates both ways, and the counting gives the same figures on PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from streamkit.archive import schema
from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.counting import campaign_figures
from streamkit.campaigns.spec import Campaign
from tests.campaigns.conftest import TODAY, Seeded, seed


def test_the_migration_downgrades_and_upgrades_again(seeded: Seeded) -> None:
    store = seeded.store
    assert "campaign_items" in inspect(store.engine).get_table_names()
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005")
    tables = set(inspect(store.engine).get_table_names())
    assert "campaign_items" not in tables and "messages" in tables
    assert store.migrate() is True and "campaign_items" in inspect(store.engine).get_table_names()


def test_postgresql_counts_the_same_rows(postgresql_store: ArchiveStore, seeded: Seeded, campaign: Campaign) -> None:
    seed(postgresql_store)
    on_sqlite = campaign_figures(seeded.store, campaign, TODAY)
    on_postgresql = campaign_figures(postgresql_store, campaign, TODAY)
    summary = [(r.kind, r.table, r.district, r.day) for r in on_sqlite.rows()]
    assert summary == [(r.kind, r.table, r.district, r.day) for r in on_postgresql.rows()]
    assert [(r.count, r.target, r.status) for r in on_sqlite.roll_up] == [
        (r.count, r.target, r.status) for r in on_postgresql.roll_up
    ]
    assert on_postgresql.daily == on_sqlite.daily
