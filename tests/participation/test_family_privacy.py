"""Families' personal data stays where it belongs: the staff pages made for it and the sealed column.

One family and one claimant with names and numbers found nowhere else go through every step, the family-wide
export by number included; then the logs (caplog and a log file at DEBUG), every public page, feed and API answer,
the error pages, the audit log and the raw bytes of the SQLite files are searched for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from streamkit.archive.models import AuditRecord
from streamkit.archive.store import ArchiveStore
from streamkit.web.extensions import STORE_KEY
from tests.participation.family import CLAIMANT, CLAIMANT_CONTACT, FAMILY_NAME, FAMILY_PHONE
from tests.participation.test_family import family_link, finished_order, post
from tests.web.conftest import csrf_token, sign_in

SECRETS = (FAMILY_NAME, FAMILY_PHONE, "8765-0123", CLAIMANT, CLAIMANT_CONTACT, "请替我们献上一束白菊", "老家在吉安")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "streamkit.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(level)
    handler.close()


def staff_page_of(staff: FlaskClient) -> str:
    return staff.get("/admin/family/families").get_data(as_text=True)


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_personal_data_never_leaves_the_staff_pages(
    family_site: Flask, tmp_path: Path, log_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    archive: ArchiveStore = family_site.extensions[STORE_KEY]
    public, staff = family_site.test_client(), family_site.test_client()
    assert sign_in(staff).status_code == 302  # type: ignore[attr-defined]
    sweep_id = finished_order(public, staff)
    link = family_link(staff, sweep_id)
    post(staff, "/admin/family/relatives/seek", "/admin/family/relatives", martyr_id="3", note="寻找亲属")
    token = csrf_token(public.get("/relatives/3/claim").get_data(as_text=True))
    claim = {"name": CLAIMANT, "contact": CLAIMANT_CONTACT, "knowledge": "老家在吉安，有一封家书", "consent": "y"}
    assert public.post("/relatives/3/claim", data={"csrf_token": token, **claim}).status_code == 303
    post(staff, "/admin/family/claims/1", "/admin/family/claims/1", status="contacting", note=f"联系了{CLAIMANT}")

    answers: dict[str, str] = {}
    for path in ("/", "/martyrs", "/martyrs/1", "/martyrs/3", "/relatives", "/archive", "/schedule", "/archive.atom",
                 "/archive.rss", "/schedule.ics", "/api/events", "/api/archive", link,
                 "/martyrs/1/proxy-sweep", "/martyrs/1/proxy-sweep/received", "/relatives/3/claim",
                 "/relatives/3/claim/received", "/family/wrong-token", "/martyrs/999999"):  # fmt: skip
        answers[path] = public.get(path).get_data(as_text=True)
    # a submission without its CSRF token, and one too large: error pages, with personal data in the request body
    form = {"name": FAMILY_NAME, "phone": FAMILY_PHONE, "relation": "孙女", "preferred_date": "2026-04-04"}
    answers["csrf error"] = public.post("/martyrs/1/proxy-sweep", data=form).get_data(as_text=True)
    big = {**claim, "knowledge": "老家在吉安" * 100_000}
    answers["too large"] = public.post("/relatives/3/claim", data=big).get_data(as_text=True)
    answers["api 404"] = public.get("/api/nothing").get_data(as_text=True)
    # one family's data by number: refused without the token, with a bad name, and to a visitor not signed in
    family = {"phone": "+86 139-8765-0123", "name": FAMILY_NAME}
    for path in ("/admin/family/families", "/admin/family/families/export", "/admin/family/families/erase"):
        answers[f"{path} without token"] = staff.post(path, data=family).get_data(as_text=True)
        answers[f"{path} signed out"] = public.post(path, data=family).get_data(as_text=True)
    wrong = {**family, "name": "长" * 41, "csrf_token": csrf_token(staff_page_of(staff))}
    answers["family search, bad name"] = staff.post("/admin/family/families", data=wrong).get_data(as_text=True)
    found = {where: leaks(text) for where, text in answers.items() if leaks(text)}
    assert found == {}

    staff_page = staff.get(f"/admin/family/sweeps/{sweep_id}").get_data(as_text=True)
    assert FAMILY_NAME in staff_page and FAMILY_PHONE in staff_page  # the page made for it shows it
    exported = staff.post("/admin/family/families/export", data={**family, "csrf_token": csrf_token(staff_page)})
    assert FAMILY_PHONE in exported.get_data(as_text=True) and CLAIMANT not in exported.get_data(as_text=True)

    with archive.session() as session:
        audit = [f"{a.actor} {a.action} {a.target} {a.detail}" for a in session.scalars(select(AuditRecord))]
    assert len(audit) > 10 and [a for a in audit if leaks(a)] == []

    logged = [r.getMessage() for r in caplog.records]
    assert [m for m in logged if leaks(m)] == []
    assert leaks(log_file.read_text(encoding="utf-8")) == []

    archive.dispose()  # checkpoints the WAL into the file; the side files are read too in case one is left
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("site.db*"))
    assert "王志国".encode() in stored  # the scan reads the rows: what is stored in clear is found
    assert [s for s in SECRETS if s.encode("utf-8") in stored] == []
