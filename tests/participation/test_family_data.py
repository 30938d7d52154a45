"""One family's data on request, across all its requests and claims: found by number, exported, erased.

Two families and a third person leave requests and claims through the public forms, the number typed the ways
families type it; the staff page and the commands must find exactly one family's records, export them, erase
exactly those, and leave the others' data sealed and intact. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr
from sqlalchemy import select
from werkzeug.test import TestResponse

from streamkit.archive.models import AuditRecord, Role
from streamkit.archive.store import ArchiveStore
from streamkit.participation.family_models import ProxySweep, RelativeClaim
from streamkit.participation.sealed import Sealer
from streamkit.register.models import Martyr
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.districts import add_district
from streamkit.web.extensions import STORE_KEY
from tests.participation.conftest import family_app
from tests.participation.family import CLAIMANT, CLAIMANT_CONTACT, FAMILY_NAME, FAMILY_PHONE, KEY, family_settings
from tests.participation.test_family import post, request_sweep
from tests.web.conftest import ADMIN, SECRET, STAFF, csrf_token, sign_in

OTHER_NAME, OTHER_PHONE = "慕容晓岚", "13711112222"
SHARING = "欧阳明"  # shares the family's phone: told apart by name
FAMILIES = "/admin/family/families"
# Every way the family's number is written in the tests: none may show up in a log or the audit log.
PHONE_FORMS = (FAMILY_PHONE, "8765", "８７６５", OTHER_PHONE, "1111 2222")
KEY_SECRET = SecretStr(KEY)


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    with family_app(tmp_path, database_url) as app:
        yield app


@pytest.fixture
def archive(site: Flask) -> ArchiveStore:
    found: ArchiveStore = site.extensions[STORE_KEY]
    return found


@pytest.fixture
def public(site: Flask) -> FlaskClient:
    return site.test_client()


@pytest.fixture
def staff(site: Flask) -> FlaskClient:
    client = site.test_client()
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    return client


def claim(client: FlaskClient, name: str, contact: str) -> None:
    token = csrf_token(client.get("/relatives/3/claim").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": name,
        "contact": contact,
        "knowledge": "老家在吉安，有一封家书",
        "consent": "y",
    }
    assert client.post("/relatives/3/claim", data=form).status_code == 303


def three_people(public: FlaskClient, staff: FlaskClient) -> None:
    """Sweeps 1, 2 (the family), 3 (someone sharing its phone), 4 (the other family); claims 1 (the family), 2 (the
    other family), 3 (the third person)."""
    post(staff, "/admin/family/relatives/seek", "/admin/family/relatives", martyr_id="3", note="寻找亲属")
    assert request_sweep(public, 1).status_code == 303  # type: ignore[attr-defined]  # "+86 139-8765-0123"
    assert request_sweep(public, 2, phone="１３９ ８７６５ ０１２３").status_code == 303  # type: ignore[attr-defined]
    assert request_sweep(public, 4, name=SHARING, phone="13987650123").status_code == 303  # type: ignore[attr-defined]
    assert request_sweep(public, 1, name=OTHER_NAME, phone=OTHER_PHONE).status_code == 303  # type: ignore[attr-defined]
    claim(public, FAMILY_NAME, "139 8765 0123（微信同号）")
    claim(public, OTHER_NAME, "+86 137 1111 2222")
    claim(public, CLAIMANT, CLAIMANT_CONTACT)


def opened(archive: ArchiveStore) -> dict[str, dict[str, str]]:
    box = Sealer([KEY_SECRET])
    with archive.session() as session:
        sweeps = {f"sweep {o.id}": box.open(o.sealed) for o in session.scalars(select(ProxySweep))}
        claims = {f"claim {c.id}": box.open(c.sealed) for c in session.scalars(select(RelativeClaim))}
    return sweeps | claims


def search(client: FlaskClient, phone: str, name: str = "") -> TestResponse:
    return post(client, FAMILIES, FAMILIES, phone=phone, name=name)  # type: ignore[return-value]


def listed(page: str) -> tuple[list[int], list[int]]:
    sweeps = [int(n) for n in re.findall(r'href="/admin/family/sweeps/(\d+)"', page)]
    claims = [int(n) for n in re.findall(r'href="/admin/family/claims/(\d+)"', page)]
    return sweeps, claims


def audit(archive: ArchiveStore) -> list[AuditRecord]:
    with archive.session() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def no_phone_in(texts: list[str]) -> list[str]:
    return [t for t in texts if any(p in t for p in PHONE_FORMS)]


def test_one_familys_records_are_found_exported_and_erased(
    archive: ArchiveStore, public: FlaskClient, staff: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    three_people(public, staff)
    before = opened(archive)
    assert before["sweep 2"]["phone"] == FAMILY_PHONE  # stored normalised, as the form does it

    found = search(staff, "0086 139 8765 0123")
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and "no-store" in found.headers["Cache-Control"]
    assert listed(page) == ([1, 2, 3], [1]) and "139****0123" in page
    assert [n for n in (OTHER_NAME, OTHER_PHONE, CLAIMANT, CLAIMANT_CONTACT, FAMILY_NAME) if n in page] == []
    by_name = search(staff, "+86 13987650123", name="欧阳 澈蓁").get_data(as_text=True)
    assert listed(by_name) == ([1, 2], [1])  # the relative sharing the phone is left out by name
    assert listed(search(staff, OTHER_PHONE).get_data(as_text=True)) == ([4], [2])
    bad = search(staff, "139 8765 012")
    assert bad.status_code == 400 and "请填写中国大陆 11 位手机号码" in bad.get_data(as_text=True)

    token = csrf_token(page)
    form = {"csrf_token": token, "phone": "１３９８７６５０１２３", "name": FAMILY_NAME}
    exported = staff.post(f"{FAMILIES}/export", data=form)
    assert exported.status_code == 200 and "no-store" in exported.headers["Cache-Control"]
    assert FAMILY_PHONE not in exported.headers["Content-Disposition"]
    data = json.loads(exported.get_data(as_text=True))
    assert data["version"] == 1
    assert [s["work_order"] for s in data["proxy_sweeps"]] == [1, 2]
    assert [c["claim"] for c in data["relatives_claims"]] == [1]
    assert {s["personal_data"]["phone"] for s in data["proxy_sweeps"]} == {FAMILY_PHONE}
    assert data["relatives_claims"][0]["personal_data"]["contact"] == "139 8765 0123（微信同号）"
    assert OTHER_NAME not in json.dumps(data, ensure_ascii=False)

    asked = staff.post(f"{FAMILIES}/erase", data=form)  # the first post only asks
    assert asked.status_code == 200 and "确认删除" in asked.get_data(as_text=True)
    assert opened(archive) == before
    erased = staff.post(f"{FAMILIES}/erase", data={**form, "confirmed": "yes"}).get_data(as_text=True)
    assert "已删除手机号 139****0123 的 2 份代为祭扫申请和 1 条寻亲线索中的个人信息" in erased

    after = opened(archive)
    assert [k for k, v in after.items() if not v] == ["sweep 1", "sweep 2", "claim 1"]
    assert {k: v for k, v in after.items() if v} == {k: before[k] for k in ("sweep 3", "sweep 4", "claim 2", "claim 3")}
    with archive.session() as session:
        assert session.get(ProxySweep, 1).erased_at is not None  # type: ignore[union-attr]
        assert session.get(ProxySweep, 3).erased_at is None  # type: ignore[union-attr]
    records = audit(archive)
    erasures = [(r.action, r.target, r.detail) for r in records if r.action.endswith(".erase")]
    assert erasures == [
        ("sweep.erase", "sweep:1 (martyr 1)", "family request"),
        ("sweep.erase", "sweep:2 (martyr 2)", "family request"),
        ("claim.erase", "claim:1 (martyr 3)", "family request"),
    ]
    assert [r.target for r in records if r.action.endswith(".export")] == ["sweep:1 (martyr 1)", "sweep:2 (martyr 2)",
                                                                           "claim:1 (martyr 3)"]  # fmt: skip
    assert no_phone_in([f"{r.actor} {r.action} {r.target} {r.detail}" for r in records]) == []
    assert no_phone_in([r.getMessage() for r in caplog.records]) == []
    again = search(staff, FAMILY_PHONE, name=FAMILY_NAME).get_data(as_text=True)
    assert listed(again) == ([], []) and "没有找到含有这个号码的申请或线索" in again


def test_family_pages_need_the_csrf_token_and_a_key(
    archive: ArchiveStore, public: FlaskClient, staff: FlaskClient, tmp_path: Path
) -> None:
    three_people(public, staff)
    before = opened(archive)
    for path in (FAMILIES, f"{FAMILIES}/export", f"{FAMILIES}/erase"):
        answer = staff.post(path, data={"phone": FAMILY_PHONE, "confirmed": "yes"})  # no CSRF token
        assert answer.status_code == 400 and FAMILY_PHONE not in answer.get_data(as_text=True), path
    too_long = search(staff, FAMILY_PHONE, name="长" * 41)
    assert too_long.status_code == 400 and FAMILY_PHONE not in too_long.get_data(as_text=True)
    assert opened(archive) == before

    keyless = create_app(family_settings(tmp_path / "keyless", keys=()), secret_key=SECRET)
    add_user(keyless.extensions[STORE_KEY], *STAFF, roles=ADMIN)
    client = keyless.test_client()
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    assert "未配置个人信息密钥" in client.get(FAMILIES).get_data(as_text=True)
    for path in (FAMILIES, f"{FAMILIES}/export", f"{FAMILIES}/erase"):
        answer = post(client, path, FAMILIES, phone=FAMILY_PHONE, confirmed="yes")
        assert answer.status_code == 503, path  # type: ignore[attr-defined]
    keyless.extensions[STORE_KEY].dispose()


def test_district_staff_find_only_their_districts_records(
    archive: ArchiveStore, public: FlaskClient, staff: FlaskClient, site: Flask
) -> None:
    with archive.transaction() as session:
        north_martyr = session.get(Martyr, 4)
        assert north_martyr is not None
        north_martyr.cemetery = "北山陵园"
    add_district(archive, "north", "北区", ["北山陵园"])
    add_district(archive, "south", "南区", ["南山烈士陵园"])
    three_people(public, staff)
    before = opened(archive)
    add_user(archive, "north-proxy", "memorial-hall-2026", roles=[Role.PROXY_STAFF], district="north")
    north = site.test_client()
    assert sign_in(north, "north-proxy", "memorial-hall-2026").status_code == 302  # type: ignore[attr-defined]
    page = search(north, FAMILY_PHONE).get_data(as_text=True)
    assert listed(page) == ([3], [])  # the martyr 4 request only; the rest is in 南山烈士陵园
    form = {"csrf_token": csrf_token(page), "phone": FAMILY_PHONE}
    data = json.loads(north.post(f"{FAMILIES}/export", data=form).get_data(as_text=True))
    assert [s["work_order"] for s in data["proxy_sweeps"]] == [3] and data["relatives_claims"] == []
    north.post(f"{FAMILIES}/erase", data={**form, "confirmed": "yes"})
    after = opened(archive)
    assert after["sweep 3"] == {} and {k: v for k, v in after.items() if k != "sweep 3"} == {
        k: v for k, v in before.items() if k != "sweep 3"
    }
    nothing = north.post(f"{FAMILIES}/export", data={**form, "phone": OTHER_PHONE})
    assert nothing.status_code == 404 and OTHER_NAME not in nothing.get_data(as_text=True)
    assert listed(search(staff, FAMILY_PHONE).get_data(as_text=True)) == ([1, 2], [1])  # the bureau sees the rest


def run(argv: list[str]) -> int:
    from streamkit.cli import main

    with pytest.raises(SystemExit) as done:
        main(["participation", *argv])
    return int(done.value.code or 0)


def test_the_family_commands_export_and_erase(
    archive: ArchiveStore,
    public: FlaskClient,
    staff: FlaskClient,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    three_people(public, staff)
    before = opened(archive)
    db = ["--db", database_url]
    monkeypatch.setenv("STREAMKIT_SECRETS_FILE", str(tmp_path / "no-secrets.yaml"))
    monkeypatch.delenv("STREAMKIT_PARTICIPATION__DATA_KEYS", raising=False)
    capsys.readouterr()
    assert run(["export-family", "--phone", FAMILY_PHONE, *db]) == 1
    err = capsys.readouterr().err
    assert err == "error: no key for personal data: set participation.data_keys in the secrets\n"
    monkeypatch.setenv("STREAMKIT_PARTICIPATION__DATA_KEYS", KEY)

    assert run(["export-family", "--phone", "139 8765 01234", *db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: not a mainland mobile number") and err.count("\n") == 1 and "8765" not in err
    assert run(["erase-family", "--phone", "13600000000", "--yes", *db]) == 1
    assert capsys.readouterr().err.startswith("error: no proxy sweeping request or relatives' claim holds that")

    out = tmp_path / "exports" / "family.json"
    assert run(["export-family", "--phone", "+86 139 8765 0123", "--out", str(out), *db]) == 0
    told = capsys.readouterr()
    assert told.err == f"exported 3 proxy sweeping requests and 1 relatives' claims to {out}\n"
    assert FAMILY_PHONE not in told.out + told.err
    assert out.stat().st_mode & 0o777 == 0o600 and [p.name for p in out.parent.iterdir()] == ["family.json"]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [s["work_order"] for s in data["proxy_sweeps"]] == [1, 2, 3] and len(data["relatives_claims"]) == 1

    monkeypatch.setattr("sys.stdin", io.StringIO("１３７ １１１１ ２２２２\n"))
    assert run(["export-family", "--phone", "-", *db]) == 0  # the number from stdin, the JSON to stdout
    other = json.loads(capsys.readouterr().out)
    assert [s["work_order"] for s in other["proxy_sweeps"]] == [4] and other["relatives_claims"][0]["claim"] == 2

    assert run(["erase-family", "--phone", FAMILY_PHONE, "--name", FAMILY_NAME, *db]) == 1  # without --yes
    told = capsys.readouterr()
    assert told.out.splitlines() == [
        f"sweep 1: martyr 1 王志国, requested, created {_created(archive, 'sweep', 1)}",
        f"sweep 2: martyr 2 王志国, requested, created {_created(archive, 'sweep', 2)}",
        f"claim 1: martyr 3 𠮷䶮, new, created {_created(archive, 'claim', 1)}",
    ]
    assert "run again with --yes" in told.err and opened(archive) == before
    assert run(["erase-family", "--phone", FAMILY_PHONE, "--name", FAMILY_NAME, "--yes", *db]) == 0
    assert "erased the personal data of 2 proxy sweeping requests and 1 relatives' claims" in capsys.readouterr().out
    after = opened(archive)
    assert [k for k, v in after.items() if not v] == ["sweep 1", "sweep 2", "claim 1"]
    assert {k: v for k, v in after.items() if v} == {k: before[k] for k in ("sweep 3", "sweep 4", "claim 2", "claim 3")}
    assert [r.actor for r in audit(archive) if r.action.endswith(".erase")] == ["cli", "cli", "cli"]
    assert no_phone_in([f"{r.actor} {r.action} {r.target} {r.detail}" for r in audit(archive)]) == []
    assert no_phone_in([r.getMessage() for r in caplog.records]) == []


def _created(archive: ArchiveStore, kind: str, number: int) -> str:
    with archive.session() as session:
        row = session.get(ProxySweep if kind == "sweep" else RelativeClaim, number)
        assert row is not None
        return f"{row.created_at:%Y-%m-%d}"
