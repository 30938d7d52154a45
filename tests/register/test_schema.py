"""The register's migration: the table, its text index and the triggers that keep the index in step."""

from __future__ import annotations

from sqlalchemy import inspect, text

from streamkit.archive import schema
from streamkit.archive.store import ArchiveStore


def test_migration_creates_the_table_and_the_fts5_index(sqlite_store: ArchiveStore) -> None:
    store = sqlite_store
    assert schema.current_revision(store.engine) == schema.head_revision()
    assert "martyrs" in inspect(store.engine).get_table_names()
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO martyrs (key, name, sex, native_place, born_text, died_text, unit, post, place_of_death,"
                " cemetery, section, row, number, biography, source, hidden, hidden_fields, family_contact,"
                " private_notes, search_name, search_place, search_unit, created_at, updated_at) VALUES ('k', '王',"
                " '', '', '', '', '', '', '', '', '', '', '', '', '', 0, '', '', '', ' 王 wang w', '', '',"
                " '2026-01-01', '2026-01-01')"
            )
        )
        found = "SELECT rowid FROM martyr_search WHERE martyr_search MATCH :q"
        assert connection.execute(text(found), {"q": "wang"}).scalars().all() == [1]
        connection.execute(text("UPDATE martyrs SET search_name = ' 李 li l' WHERE key = 'k'"))
        assert connection.execute(text(found), {"q": "wang"}).scalars().all() == []
        assert connection.execute(text(found), {"q": "li"}).scalars().all() == [1]
        connection.execute(text("DELETE FROM martyrs"))
        assert connection.execute(text(found), {"q": "li"}).scalars().all() == []


def test_postgresql_gets_trigram_indexes_the_search_can_use(postgresql_store: ArchiveStore) -> None:
    from sqlalchemy.dialects import postgresql

    from streamkit.register.search import RegisterQuery, build_search

    indexes = {i["name"] for i in inspect(postgresql_store.engine).get_indexes("martyrs")}
    assert {"ix_martyrs_search_name_trgm", "ix_martyrs_search_place_trgm", "ix_martyrs_search_unit_trgm"} <= indexes
    statement = build_search(RegisterQuery(text="wzg"), "postgresql").compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    with postgresql_store.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))  # an empty table: make the planner show its choice
        plan = "\n".join(connection.execute(text(f"EXPLAIN {statement}")).scalars())
    assert "ix_martyrs_search_name_trgm" in plan


def test_the_migration_downgrades_and_upgrades_again(store: ArchiveStore) -> None:
    from alembic import command

    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0001")
    assert not {"martyrs", "martyr_search"} & set(inspect(store.engine).get_table_names())
    assert store.migrate() is True
    # the text index is an FTS5 table on SQLite, trigram indexes on the table itself on PostgreSQL
    tables = {"martyrs", "martyr_search"} if store.engine.dialect.name == "sqlite" else {"martyrs"}
    assert tables <= set(inspect(store.engine).get_table_names())
    if store.engine.dialect.name == "postgresql":
        assert "ix_martyrs_search_name_trgm" in {i["name"] for i in inspect(store.engine).get_indexes("martyrs")}
