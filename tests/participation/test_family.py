"""Proxy tomb-sweeping and the search for relatives through the site: the forms, the work order, the family's
private link, export, erase and retention, and the relatives list with its claims."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from streamkit.archive.models import ArchiveEntry, AuditRecord, utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.participation.family_models import ProxySweep, RelativeClaim, SweepStatus
from streamkit.participation.retention import purge
from streamkit.participation.sweeping import issue_link
from streamkit.register.importer import import_register
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.participation.conftest import register_file
from tests.participation.family import (
    CLAIMANT,
    CLAIMANT_CONTACT,
    FAMILY_NAME,
    FAMILY_PHONE,
    blurred_photo,
    family_settings,
    sharp_photo,
    sweep_form,
)
from tests.web.conftest import SECRET, csrf_token, sign_in


@pytest.fixture
def archive(family_site: Flask) -> ArchiveStore:
    found: ArchiveStore = family_site.extensions[STORE_KEY]
    return found


@pytest.fixture
def public(family_site: Flask) -> FlaskClient:
    return family_site.test_client()


@pytest.fixture
def staff(family_site: Flask) -> FlaskClient:
    client = family_site.test_client()
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    return client


def request_sweep(client: FlaskClient, martyr_id: int = 1, **changes: str) -> object:
    token = csrf_token(client.get(f"/martyrs/{martyr_id}/proxy-sweep").get_data(as_text=True))
    return client.post(f"/martyrs/{martyr_id}/proxy-sweep", data=sweep_form(token, **changes))


def post(client: FlaskClient, path: str, page: str, **data: object) -> object:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def upload(client: FlaskClient, sweep_id: int, *photos: bytes) -> object:
    page = f"/admin/family/sweeps/{sweep_id}"
    token = csrf_token(client.get(page).get_data(as_text=True))
    # Encoded here: the test client spools a large body to a temporary file it never closes.
    files = MultiDict(
        [("csrf_token", token), *((("photos", FileStorage(io.BytesIO(p), f"p{i}.jpg"))) for i, p in enumerate(photos))]
    )
    boundary, body = encode_multipart(files)
    return client.post(f"{page}/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def finished_order(public: FlaskClient, staff: FlaskClient) -> int:
    """A request taken through schedule, checklist and a passing photo set to done; its number."""
    assert request_sweep(public).status_code == 303  # type: ignore[attr-defined]
    sweep_id = 1
    page = f"/admin/family/sweeps/{sweep_id}"
    post(staff, f"{page}/schedule", page, day=date.today().isoformat())
    post(staff, f"{page}/checklist", page, wiped="1", flowers="1", photos="1", called="1")
    assert upload(staff, sweep_id, sharp_photo(1), sharp_photo(2)).status_code == 200  # type: ignore[attr-defined]
    post(staff, f"{page}/done", page)
    return sweep_id


def family_link(staff: FlaskClient, sweep_id: int) -> str:
    page = f"/admin/family/sweeps/{sweep_id}"
    response = post(staff, f"{page}/link", page)
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'<code class="family-link">http://localhost(/family/[^<]+)</code>', html)
    assert found, "the new link is shown to staff once"
    return found.group(1)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0086-139-1234-5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),  # full-width digits from a Chinese keyboard
        ("(139) 1234-5678", "13912345678"),
        ("12912345678", None),  # no mobile range starts 12
        ("1391234567", None),
        ("139123456789", None),
        ("010-12345678", None),  # a landline
        ("+1 139 1234 5678", None),
        ("", None),
    ],
)
def test_mainland_mobile_numbers_are_normalised(typed: str, stored: str | None) -> None:
    from streamkit.participation.sweeping import normalise_phone

    assert normalise_phone(typed) == stored


def test_the_request_form_shows_purpose_and_retention_and_stores_it_sealed(
    public: FlaskClient, archive: ArchiveStore
) -> None:
    html = public.get("/martyrs/1/proxy-sweep").get_data(as_text=True)
    assert "用途" in html and "保存期限" in html and "365 天后" in html
    assert public.get("/martyrs/1").get_data(as_text=True).count("/martyrs/1/proxy-sweep") == 1
    response = request_sweep(public)
    assert response.status_code == 303  # type: ignore[attr-defined]
    received = public.get(response.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "已收到" in received and FAMILY_NAME not in received
    with archive.session() as session:
        order = session.scalars(select(ProxySweep)).one()
    assert order.status == SweepStatus.REQUESTED and order.sealed.startswith("gAAAAA")  # a Fernet token
    assert FAMILY_PHONE not in order.sealed and order.preferred_date > date.today()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "11 位手机号码"),
        ({"phone": ""}, "phone", "请填写手机号码"),
        ({"name": ""}, "name", "请填写您的姓名"),
        ({"name": "名" * 41}, "name", "最多 40 个字"),
        ({"relation": "孙\n女"}, "relation", ""),
        ({"preferred_date": "2026-02-30"}, "preferred_date", "日期格式"),
        ({"preferred_date": "2000-01-01"}, "preferred_date", "一年以内"),
        ({"preferred_date": "9999-12-31"}, "preferred_date", "一年以内"),
        ({"wishes": "花" * 501}, "wishes", "最多 500 个字"),
        ({"consent": ""}, "consent", "请阅读并勾选同意"),
    ],
)
def test_a_bad_field_gets_a_chinese_message_beside_it_and_nothing_is_stored(
    public: FlaskClient, archive: ArchiveStore, changes: dict[str, str], field: str, message: str
) -> None:
    response = request_sweep(public, **changes)
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    block = re.search(
        rf'<div class="field invalid">\s*(?:<label[^>]*for="{field}"|<label><input[^>]*id="{field}").*?</div>',
        html,
        re.S,
    )
    assert block, f"no error beside {field}"
    assert message in block.group(0)
    with archive.session() as session:
        assert session.scalars(select(ProxySweep)).first() is None


def test_without_a_key_the_form_says_the_service_is_unavailable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        app = create_app(family_settings(tmp_path, keys=()), secret_key=SECRET)
    archive: ArchiveStore = app.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    client = app.test_client()
    page = client.get("/martyrs/1/proxy-sweep")
    assert page.status_code == 200 and "暂时不可用" in page.get_data(as_text=True)
    assert 'name="phone"' not in page.get_data(as_text=True)
    warned = [r for r in caplog.records if "data_keys" in r.getMessage()]
    assert len(warned) == 1 and "closed" in warned[0].getMessage()
    refused = client.post("/martyrs/1/proxy-sweep", data=sweep_form(""))
    assert refused.status_code in (400, 503)  # the CSRF check or the closed service; never stored
    with archive.session() as session:
        assert session.scalars(select(ProxySweep)).first() is None
    archive.dispose()


def test_a_hidden_or_missing_martyr_has_no_form(public: FlaskClient) -> None:
    assert public.get("/martyrs/5/proxy-sweep").status_code == 404
    assert public.get("/martyrs/999/proxy-sweep").status_code == 404


def test_staff_see_the_request_and_the_work_order_needs_checklist_and_photos(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore
) -> None:
    request_sweep(public)
    page = "/admin/family/sweeps/1"
    html = staff.get(page).get_data(as_text=True)
    assert FAMILY_NAME in html and FAMILY_PHONE in html and "请替我们献上一束白菊" in html
    assert staff.get(page).headers["Cache-Control"] == "private, no-store"
    assert public.get(page).status_code == 302  # sign-in first
    post(staff, f"{page}/done", page)
    with archive.session() as session:
        assert session.get(ProxySweep, 1).status == "requested"  # type: ignore[union-attr]
    post(staff, f"{page}/schedule", page, day="2026-04-04")
    post(staff, f"{page}/checklist", page, wiped="1", flowers="1", photos="1", called="1")
    post(staff, f"{page}/done", page)  # no photos yet
    with archive.session() as session:
        order = session.get(ProxySweep, 1)
        assert order is not None and order.status == "scheduled" and order.scheduled_for == date(2026, 4, 4)
    refused = upload(staff, 1, blurred_photo())
    assert refused.status_code == 400  # type: ignore[attr-defined]
    text = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "未通过：照片模糊" in text and "1200×1000" in text  # the reason and the scores
    accepted = upload(staff, 1, sharp_photo(1), sharp_photo(2))
    assert accepted.status_code == 200 and accepted.get_data(as_text=True).count("已通过") == 2  # type: ignore[attr-defined]
    entry = ArchiveEntry(kind="recording", title="代祭扫录像", media_url="https://example.org/v.mp4", media_sha256=None)
    with archive.transaction() as session:
        session.add(entry)
    post(staff, f"{page}/video", page, entry_id=str(entry.id))
    post(staff, f"{page}/done", page)
    with archive.session() as session:
        order = session.get(ProxySweep, 1)
        assert order is not None and order.status == "done" and order.entry_id == entry.id
        actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
    for action in ("sweep.request", "sweep.schedule", "sweep.checklist", "sweep.photo.refused", "sweep.photo",
                   "sweep.video", "sweep.done"):  # fmt: skip
        assert action in actions


def test_the_family_page_opens_with_its_token_only(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore, tmp_path: Path
) -> None:
    sweep_id = finished_order(public, staff)
    link = family_link(staff, sweep_id)
    family = public.get(link)
    assert family.status_code == 200
    assert family.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in family.headers["X-Robots-Tag"] and family.headers["Referrer-Policy"] == "no-referrer"
    html = family.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in html and "X-Cache" not in family.headers
    assert FAMILY_NAME not in html and FAMILY_PHONE not in html
    photos = re.findall(r'src="(/family/[^"]+\.jpg)"', html)
    assert len(photos) == 2
    picture = public.get(photos[0])
    assert picture.status_code == 200 and picture.headers["Cache-Control"] == "private, no-store"
    assert picture.data[:2] == b"\xff\xd8" and b"Exif" not in picture.data[:64]  # the derivative, no metadata
    with archive.session() as session:
        order = session.get(ProxySweep, sweep_id)
        assert order is not None and order.link_hash and order.link_hash not in link
    wrong = "A" * 43
    not_found = public.get(f"/family/{wrong}")
    assert not_found.status_code == 404

    def same_404(response: object, token: str) -> bool:  # the page names its own path (language switch) only
        body = response.get_data(as_text=True).replace(token, wrong)  # type: ignore[attr-defined]
        return response.status_code == 404 and body == not_found.get_data(as_text=True)  # type: ignore[attr-defined]

    newer = family_link(staff, sweep_id)  # resend: the old link dies
    assert public.get(link).status_code == 404 and public.get(newer).status_code == 200
    assert public.get(photos[0]).status_code == 404
    post(staff, f"/admin/family/sweeps/{sweep_id}/link/revoke", f"/admin/family/sweeps/{sweep_id}")
    assert same_404(public.get(newer), newer.rsplit("/", 1)[1])  # the same 404 whatever the reason
    token = issue_link(archive, sweep_id, actor="test", days=1, now=utcnow() - timedelta(days=2))
    assert same_404(public.get(f"/family/{token}"), token)


def test_the_family_page_is_listed_nowhere(public: FlaskClient, staff: FlaskClient) -> None:
    sweep_id = finished_order(public, staff)
    link = family_link(staff, sweep_id)
    for path in ("/", "/martyrs", "/martyrs/1", "/archive", "/relatives", "/archive.atom", "/archive.rss",
                 "/schedule.ics", "/api/events", "/api/archive", "/schedule"):  # fmt: skip
        response = public.get(path)
        assert link not in response.get_data(as_text=True) and "/family/" not in response.get_data(as_text=True)


def test_export_and_erase_one_familys_data(public: FlaskClient, staff: FlaskClient, archive: ArchiveStore) -> None:
    sweep_id = finished_order(public, staff)
    link = family_link(staff, sweep_id)
    page = f"/admin/family/sweeps/{sweep_id}"
    exported = post(staff, f"{page}/export", page)
    assert exported.headers["Content-Disposition"].startswith("attachment")  # type: ignore[attr-defined]
    data = json.loads(exported.get_data(as_text=True))  # type: ignore[attr-defined]
    assert data["personal_data"] == {
        "name": FAMILY_NAME, "relation": "孙女", "phone": FAMILY_PHONE, "wishes": "请替我们献上一束白菊。"
    }  # fmt: skip
    assert data["checklist"] == {"wiped": True, "flowers": True, "photos": True, "called": True}
    post(staff, f"{page}/erase", page)
    assert public.get(link).status_code == 404
    html = staff.get(page).get_data(as_text=True)
    assert FAMILY_PHONE not in html and "个人信息已于" in html
    with archive.session() as session:
        order = session.get(ProxySweep, sweep_id)
        assert order is not None and order.sealed == "" and order.erased_at is not None and order.status == "done"
        actions = set(session.scalars(select(AuditRecord.action)))
    assert {"sweep.export", "sweep.erase", "sweep.link"} <= actions


def test_purge_erases_only_what_is_past_retention(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore, tmp_path: Path
) -> None:
    finished_order(public, staff)  # done now: kept
    request_sweep(public, martyr_id=2)  # open: kept whatever its age
    request_sweep(public, martyr_id=3)
    post(staff, "/admin/family/sweeps/3/cancel", "/admin/family/sweeps/3")
    with archive.transaction() as session:
        for order in session.scalars(select(ProxySweep)):
            order.created_at = utcnow() - timedelta(days=800)
        cancelled = session.get(ProxySweep, 3)
        assert cancelled is not None and cancelled.status == "cancelled"
        cancelled.closed_at = utcnow() - timedelta(days=400)
    report = purge(archive, 365)
    assert (report.sweeps, report.claims) == (0 + 1, 0)
    with archive.session() as session:
        sealed = {o.id: o.sealed for o in session.scalars(select(ProxySweep))}
    assert sealed[3] == "" and sealed[1] and sealed[2]
    assert purge(archive, 365).sweeps == 0  # nothing left to erase: a second run is a no-op


def test_the_purge_command_reports_how_many(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamkit.cli import main

    request_sweep(public, martyr_id=2)
    post(staff, "/admin/family/sweeps/1/cancel", "/admin/family/sweeps/1")
    with archive.transaction() as session:
        order = session.get(ProxySweep, 1)
        assert order is not None
        order.closed_at = utcnow() - timedelta(days=366)
    with pytest.raises(SystemExit) as done:
        main(["participation", "purge", "--db", f"sqlite:///{tmp_path / 'site.db'}"])
    assert done.value.code == 0
    assert "erased the contact data of 1 proxy sweeping requests and 0 relatives' claims" in capsys.readouterr().out


def test_relatives_list_claim_and_follow_up(public: FlaskClient, staff: FlaskClient, archive: ArchiveStore) -> None:
    admin = "/admin/family/relatives"
    post(staff, f"{admin}/seek", admin, martyr_id="3", note="家乡可能在江西吉安")
    post(staff, f"{admin}/seek", admin, martyr_id="5", note="隐藏记录")  # hidden in the register: never public
    listing = public.get("/relatives").get_data(as_text=True)
    assert "江西吉安" in listing and "/martyrs/3" in listing and "隐藏记录" not in listing
    assert "/relatives/3/claim" in public.get("/martyrs/3").get_data(as_text=True)
    assert "/relatives/" not in public.get("/martyrs/1").get_data(as_text=True).replace('href="/relatives"', "")
    assert public.get("/relatives/5/claim").status_code == 404 and public.get("/relatives/1/claim").status_code == 404
    token = csrf_token(public.get("/relatives/3/claim").get_data(as_text=True))
    bad = public.post(
        "/relatives/3/claim", data={"csrf_token": token, "name": CLAIMANT, "contact": "", "knowledge": "x"}
    )
    assert bad.status_code == 400 and "请留下联系方式" in bad.get_data(as_text=True)
    claim = {
        "csrf_token": token,
        "name": CLAIMANT,
        "contact": CLAIMANT_CONTACT,
        "knowledge": "我爷爷的哥哥1948年参军",
        "consent": "y",
    }
    assert public.post("/relatives/3/claim", data=claim).status_code == 303
    with archive.session() as session:
        stored = session.scalars(select(RelativeClaim)).one()
    assert stored.status == "new" and CLAIMANT_CONTACT not in stored.sealed
    assert CLAIMANT not in staff.get(admin).get_data(as_text=True)  # the list shows numbers; names on the claim
    detail = staff.get(f"/admin/family/claims/{stored.id}").get_data(as_text=True)
    assert CLAIMANT in detail and CLAIMANT_CONTACT in detail and "1948年参军" in detail
    post(staff, f"/admin/family/claims/{stored.id}", f"/admin/family/claims/{stored.id}", status="contacting",
         note="已电话联系，约定寄送家书照片")  # fmt: skip
    post(staff, f"/admin/family/claims/{stored.id}", f"/admin/family/claims/{stored.id}", status="verified", note="")
    detail = staff.get(f"/admin/family/claims/{stored.id}").get_data(as_text=True)
    assert "已核实" in detail and "约定寄送家书照片" in detail
    post(staff, f"{admin}/3/found", admin)
    assert "江西吉安" not in public.get("/relatives").get_data(as_text=True)
    assert "/relatives/3/claim" not in public.get("/martyrs/3").get_data(as_text=True)
    assert public.get("/relatives/3/claim").status_code == 404
    with archive.session() as session:
        audit = list(session.scalars(select(AuditRecord)))
        claim_row = session.get(RelativeClaim, stored.id)
    assert claim_row is not None and claim_row.closed_at is not None
    assert {"relatives.seek", "claim.submit", "claim.status", "relatives.found"} <= {a.action for a in audit}
    assert all("家书" not in a.detail and CLAIMANT not in a.detail for a in audit)


def test_the_relatives_list_is_paginated(tmp_path: Path) -> None:
    from streamkit.participation.relatives import mark_sought

    settings = family_settings(tmp_path)
    app = create_app(
        settings.model_copy(update={"web": settings.web.model_copy(update={"page_size": 3})}), secret_key=SECRET
    )
    archive: ArchiveStore = app.extensions[STORE_KEY]
    import_register(archive, register_file(tmp_path))
    public = app.test_client()
    for martyr_id in (1, 2, 3, 4, 5):  # 5 is hidden in the register
        mark_sought(archive, martyr_id, f"线索{martyr_id}", actor="test")
    first = public.get("/relatives").get_data(as_text=True)
    second = public.get("/relatives?page=2").get_data(as_text=True)
    assert first.count('/claim"') == 3 and 'rel="next"' in first
    assert second.count('/claim"') == 1 and 'rel="next"' not in second and 'rel="prev"' in second
    assert "线索5" not in first + second
    assert public.get("/relatives?page=x").status_code == 400
    assert public.get("/relatives?page=0").status_code == 400
    archive.dispose()


def test_a_picture_too_large_to_open_is_refused_not_a_crash(archive: ArchiveStore, tmp_path: Path) -> None:
    import warnings

    from PIL import Image

    from streamkit.participation.sealed import Sealer
    from streamkit.participation.sweep_photos import add_sweep_photo
    from streamkit.participation.sweeping import SweepRequest, submit_sweep
    from tests.participation.family import KEY

    sweep_id = submit_sweep(
        archive, Sealer([SecretStr(KEY)]), 1, SweepRequest(FAMILY_NAME, "孙女", FAMILY_PHONE, date.today())
    )
    assert sweep_id is not None
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 million pixels in a few kilobytes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        verdict = add_sweep_photo(archive, sweep_id, bomb.getvalue(), tmp_path / "private", actor="test")
    assert verdict.problems == ("unreadable",) and verdict.photo_id is None
    assert list((tmp_path / "private" / "sweeps").iterdir()) == []  # nothing kept, not even the probe file


def test_every_family_admin_route_needs_a_signed_in_staff_member(family_site: Flask, public: FlaskClient) -> None:
    token = csrf_token(public.get("/martyrs/1/proxy-sweep").get_data(as_text=True))
    rules = [r for r in family_site.url_map.iter_rules() if r.endpoint.startswith("family_admin.")]
    assert len(rules) >= 15
    for rule in rules:
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<[^>]*{arg}>", "found" if arg == "action" else "1", path)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = public.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/admin/login" in response.headers["Location"]


def test_the_photo_upload_checks_its_csrf_token_itself(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore
) -> None:
    from streamkit.participation.family_models import SweepPhoto

    request_sweep(public)
    files = MultiDict([("photos", FileStorage(io.BytesIO(sharp_photo(3)), "p.jpg"))])
    boundary, body = encode_multipart(files)
    response = staff.post(
        "/admin/family/sweeps/1/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    with archive.session() as session:
        assert session.scalars(select(SweepPhoto)).first() is None


def _clip(path: Path) -> Path:
    """Two seconds of MPEG-4 Part 2 in Matroska: a file browsers do not play until it is transcoded."""
    import subprocess

    argv = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2",
            "-f", "lavfi", "-i", "sine=duration=2", "-c:v", "mpeg4", "-c:a", "mp2", str(path)]  # fmt: skip
    subprocess.run(argv, check=True, timeout=60)
    return path


def _upload_video(staff: FlaskClient, sweep_id: int, data: bytes, name: str) -> object:
    page = f"/admin/family/sweeps/{sweep_id}"
    token = csrf_token(staff.get(page).get_data(as_text=True))
    files = MultiDict([("csrf_token", token), ("video", FileStorage(io.BytesIO(data), name))])
    boundary, body = encode_multipart(files)
    return staff.post(f"{page}/video-upload", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_uploaded_video_is_transcoded_and_played_on_the_familys_page(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore, tmp_path: Path
) -> None:
    from streamkit.media.probe import probe

    request_sweep(public)
    refused = _upload_video(staff, 1, b"not a video at all", "clip.mp4")
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert "这个文件不是视频" in staff.get("/admin/family/sweeps/1").get_data(as_text=True)
    still = _upload_video(staff, 1, sharp_photo(5), "photo.mp4")  # one frame of "video": not a clip
    assert still.status_code == 303  # type: ignore[attr-defined]
    with archive.session() as session:
        assert session.get(ProxySweep, 1).video == ""  # type: ignore[union-attr]
    _upload_video(staff, 1, _clip(tmp_path / "clip.mkv").read_bytes(), "clip.mkv")
    with archive.session() as session:
        order = session.get(ProxySweep, 1)
        assert order is not None and order.video.endswith(".mp4")
    stored = probe(tmp_path / "private" / order.video)
    assert stored.video[0].codec == "h264" and stored.audio[0].codec == "aac" and 1.5 < stored.duration_s < 2.5
    page = "/admin/family/sweeps/1"
    post(staff, f"{page}/checklist", page, wiped="1", flowers="1", photos="1", called="1")
    upload(staff, 1, sharp_photo(1), sharp_photo(2))
    post(staff, f"{page}/done", page)
    link = family_link(staff, 1)
    html = public.get(link).get_data(as_text=True)
    assert f'src="{link}/video.mp4"' in html
    ranged = public.get(f"{link}/video.mp4", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100
    assert ranged.headers["Cache-Control"] == "private, no-store" and "noindex" in ranged.headers["X-Robots-Tag"]
    ranged.close()  # a file response holds its file open until closed
    post(staff, f"{page}/link/revoke", page)
    assert public.get(f"{link}/video.mp4").status_code == 404
    with archive.session() as session:
        assert "sweep.video.upload" in set(session.scalars(select(AuditRecord.action)))


def test_claims_are_erased_on_request_and_after_retention(
    public: FlaskClient, staff: FlaskClient, archive: ArchiveStore
) -> None:
    from streamkit.participation.relatives import mark_sought

    mark_sought(archive, 3, "寻找亲属", actor="test")
    mark_sought(archive, 4, "寻找亲属", actor="test")
    for martyr_id in (3, 4, 4):
        token = csrf_token(public.get(f"/relatives/{martyr_id}/claim").get_data(as_text=True))
        claim = {
            "csrf_token": token,
            "name": CLAIMANT,
            "contact": CLAIMANT_CONTACT,
            "knowledge": "知道一些",
            "consent": "y",
        }
        assert public.post(f"/relatives/{martyr_id}/claim", data=claim).status_code == 303
    post(staff, "/admin/family/claims/1/erase", "/admin/family/claims/1")
    assert CLAIMANT not in staff.get("/admin/family/claims/1").get_data(as_text=True)
    post(staff, "/admin/family/claims/2", "/admin/family/claims/2", status="not_related", note="")
    with archive.transaction() as session:
        closed = session.get(RelativeClaim, 2)
        assert closed is not None and closed.closed_at is not None
        closed.closed_at = utcnow() - timedelta(days=400)
    report = purge(archive, 365)
    assert (report.sweeps, report.claims) == (0, 1)
    with archive.session() as session:
        sealed = {c.id: (c.sealed, c.erased_at is not None) for c in session.scalars(select(RelativeClaim))}
    assert sealed[1] == ("", True) and sealed[2] == ("", True) and sealed[3][0] and not sealed[3][1]
