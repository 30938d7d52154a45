"""Sealing families' personal data: round trip, key rotation, keys from the secrets only, the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import inspect

from streamkit.archive import schema
from streamkit.archive.store import ArchiveStore
from streamkit.config.settings import load_settings
from streamkit.errors import ConfigError
from streamkit.participation.retention import reseal_all
from streamkit.participation.sealed import Sealer, SealError, new_key
from streamkit.participation.sweeping import SweepRequest, submit_sweep, sweep_view
from streamkit.register.importer import import_register
from tests.participation.conftest import register_file
from tests.participation.family import FAMILY_NAME, FAMILY_PHONE

PERSONAL = {"name": FAMILY_NAME, "phone": FAMILY_PHONE}


def test_a_sealed_value_opens_and_hides_its_fields() -> None:
    key = new_key()
    sealer = Sealer([SecretStr(key)])
    sealed = sealer.seal(PERSONAL)
    assert FAMILY_PHONE not in sealed and FAMILY_NAME.encode("utf-8").hex() not in sealed
    assert sealer.open(sealed) == PERSONAL and sealer.open("") == {}
    assert key not in repr(sealer) and sealed != sealer.seal(PERSONAL)  # a fresh IV every time


def test_rotation_seals_with_the_first_key_and_opens_with_any() -> None:
    old, new = SecretStr(new_key()), SecretStr(new_key())
    sealed_old = Sealer([old]).seal(PERSONAL)
    both = Sealer([new, old])
    assert both.open(sealed_old) == PERSONAL
    resealed = both.reseal(sealed_old)
    assert Sealer([new]).open(resealed) == PERSONAL
    with pytest.raises(SealError) as refused:
        Sealer([new]).open(sealed_old)
    assert FAMILY_PHONE not in str(refused.value)


def test_no_key_is_an_error_not_a_default() -> None:
    with pytest.raises(SealError, match=r"participation\.data_keys"):
        Sealer([])


def test_keys_come_from_the_environment_or_the_secrets_file_only(tmp_path: Path) -> None:
    first, second = new_key(), new_key()
    env = {"STREAMKIT_PARTICIPATION__DATA_KEYS": f"{first}, {second}", "STREAMKIT_SECRETS_FILE": str(tmp_path / "n")}
    keys = load_settings(environ=env).participation.data_keys
    assert [k.get_secret_value() for k in keys] == [first, second] and first not in repr(keys)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"participation:\n  data_keys: ['{second}']\n", encoding="utf-8")
    from_file = load_settings(environ={"STREAMKIT_SECRETS_FILE": str(secrets)}).participation.data_keys
    assert [k.get_secret_value() for k in from_file] == [second]
    versioned = tmp_path / "streamkit.yaml"
    versioned.write_text(f"version: 1\nparticipation:\n  data_keys: ['{first}']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="secrets do not belong in a versioned file") as refused:
        load_settings(versioned, environ={"STREAMKIT_SECRETS_FILE": str(tmp_path / "n")})
    assert first not in str(refused.value)


def test_a_malformed_key_is_refused_without_showing_it(tmp_path: Path) -> None:
    bad = "not-a-key-but-a-secret-anyway"
    env = {"STREAMKIT_PARTICIPATION__DATA_KEYS": f"{new_key()},{bad}", "STREAMKIT_SECRETS_FILE": str(tmp_path / "n")}
    with pytest.raises(ConfigError, match="key 2 is not a Fernet key") as refused:
        load_settings(environ=env)
    assert bad not in str(refused.value)


def test_reseal_moves_every_stored_value_to_the_first_key(store: ArchiveStore, tmp_path: Path) -> None:
    from datetime import date

    import_register(store, register_file(tmp_path))
    old, new = SecretStr(new_key()), SecretStr(new_key())
    asked = SweepRequest(FAMILY_NAME, "孙女", FAMILY_PHONE, date(2026, 4, 4))
    sweep_id = submit_sweep(store, Sealer([old]), 1, asked)
    assert sweep_id is not None
    assert reseal_all(store, Sealer([new, old])) == 1
    view = sweep_view(store, Sealer([new]), sweep_id)
    assert view is not None and view.personal["phone"] == FAMILY_PHONE
    assert FAMILY_PHONE not in repr(asked) and FAMILY_NAME not in repr(view.order)


def test_the_migrations_downgrade_and_upgrade_again(store: ArchiveStore) -> None:
    from alembic import command

    tables = {"proxy_sweeps", "proxy_sweep_photos", "relative_searches", "relative_claims"}
    assert tables <= set(inspect(store.engine).get_table_names())
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0009")
    assert {"proxy_sweeps", "proxy_sweep_photos"} <= set(inspect(store.engine).get_table_names())
    assert not {"relative_searches", "relative_claims"} & set(inspect(store.engine).get_table_names())
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005")
    assert not tables & set(inspect(store.engine).get_table_names())
    assert store.migrate() is True
    assert tables <= set(inspect(store.engine).get_table_names())


def test_the_migrations_run_on_postgresql(postgresql_store: ArchiveStore) -> None:
    from alembic import command

    tables = {"proxy_sweeps", "proxy_sweep_photos", "relative_searches", "relative_claims"}
    assert tables <= set(inspect(postgresql_store.engine).get_table_names())
    with postgresql_store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005")
    assert not tables & set(inspect(postgresql_store.engine).get_table_names())
    assert postgresql_store.migrate() is True


def test_a_work_order_and_a_claim_run_on_postgresql(postgresql_store: ArchiveStore, tmp_path: Path) -> None:
    from datetime import date, timedelta

    from streamkit.archive.models import utcnow
    from streamkit.participation.family_models import ProxySweep
    from streamkit.participation.relatives import (
        claim_view,
        claims,
        follow_up,
        mark_found,
        mark_sought,
        sought_records,
        submit_claim,
    )
    from streamkit.participation.retention import purge
    from streamkit.participation.sweep_photos import add_sweep_photo
    from streamkit.participation.sweeping import (
        family_page,
        finish_sweep,
        issue_link,
        schedule_sweep,
        set_checklist,
        sweep_orders,
    )
    from tests.participation.family import sharp_photo

    store = postgresql_store
    import_register(store, register_file(tmp_path))
    sealer = Sealer([SecretStr(new_key())])
    first = submit_sweep(store, sealer, 1, SweepRequest(FAMILY_NAME, "孙女", FAMILY_PHONE, date(2026, 4, 4)))
    second = submit_sweep(store, sealer, 2, SweepRequest(FAMILY_NAME, "孙女", FAMILY_PHONE, date(2026, 4, 5)))
    assert first is not None and second is not None
    schedule_sweep(store, first, date(2026, 4, 4), actor="test")
    set_checklist(store, first, {"wiped", "flowers", "photos", "called"}, actor="test")
    for seed in (1, 2):
        assert add_sweep_photo(store, first, sharp_photo(seed), tmp_path / "private", actor="test").photo_id
    finish_sweep(store, first, actor="test", photo_set_min=2)
    assert [o.id for o, _ in sweep_orders(store)] == [second, first]  # open ones first
    token = issue_link(store, first, actor="test", days=30)
    page = family_page(store, token)
    assert page is not None and len(page.photos) == 2
    with store.transaction() as session:
        order = session.get(ProxySweep, first)
        assert order is not None
        order.closed_at = utcnow() - timedelta(days=400)
    assert purge(store, 365).sweeps == 1 and family_page(store, token) is None

    mark_sought(store, 3, "家乡可能在江西", actor="test")
    mark_sought(store, 4, "", actor="test")
    assert {r.martyr_id for r in sought_records(store, limit=10)} == {3, 4}
    claim_id = submit_claim(store, sealer, 3, name="司马黛琳", contact="15812349876", knowledge="家书一封")
    assert claim_id is not None
    follow_up(store, sealer, claim_id, "verified", "核实无误", actor="test")
    view = claim_view(store, sealer, claim_id)
    assert view is not None and "核实无误" in view.personal["notes"] and view.claim.closed_at is not None
    assert [c.id for c, _ in claims(store)] == [claim_id]
    mark_found(store, 3, actor="test")
    assert [r.martyr_id for r in sought_records(store, limit=10)] == [4]
