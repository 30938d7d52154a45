"""The whole migration chain, whatever it holds: down to base and up again step by step, on SQLite and PostgreSQL,
ending at exactly the schema the models describe."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect

from streamkit.archive import schema
from streamkit.archive.models import Base

PACKAGE = Path(schema.__file__).resolve().parents[1]
DECLARES_TABLES = re.compile(r"^class \w+\((?:\w+, )*Base\b", re.MULTILINE)
# Objects migrations make in SQL of their own that no model describes: the register's text index, an FTS5 table
# (with its shadow tables) on SQLite and trigram indexes on PostgreSQL.
NOT_IN_MODELS = re.compile(r"^(martyr_search(_\w+)?|ix_\w+_trgm)$")


def import_every_model() -> None:
    """Import each module that declares tables on the archive's Base, so its metadata holds every table."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts and DECLARES_TABLES.search(path.read_text(encoding="utf-8")):
            importlib.import_module(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))


def include_name(name: str | None, kind: str, _parent: Any) -> bool:
    return name is None or not NOT_IN_MODELS.match(name)


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, Base.metadata))


def step(engine: Engine, direction: str, target: str) -> None:
    with engine.begin() as connection:
        getattr(command, direction)(schema.alembic_config(connection), target)


def test_every_migration_goes_down_and_up_again_to_the_models_schema(database_url: str) -> None:
    import_every_model()
    assert {"events", "archive_entries", "martyrs", "tributes"} <= set(Base.metadata.tables)
    chain = [script.revision for script in ScriptDirectory.from_config(schema.alembic_config()).walk_revisions()]
    chain.reverse()  # base first
    assert chain[0] == "0001" and chain[-1] == schema.head_revision() and len(chain) >= 5
    engine = create_engine(database_url)
    try:
        step(engine, "upgrade", "head")
        assert differences(engine) == []
        # one revision at a time, so a broken downgrade names its own revision
        for revision in reversed(chain):
            assert schema.current_revision(engine) == revision
            step(engine, "downgrade", "-1")
        assert schema.current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        for revision in chain:
            step(engine, "upgrade", "+1")
            assert schema.current_revision(engine) == revision
        assert differences(engine) == []
        step(engine, "downgrade", "base")
        step(engine, "upgrade", "head")  # again at once, as a fresh install does
        assert differences(engine) == [] and schema.current_revision(engine) == chain[-1]
    finally:
        engine.dispose()
