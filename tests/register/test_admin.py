"""Staff edit the register in the admin: audit with before/after (never a private value), hidden records and fields
that reach no public page, feed, API, search or log, and documents shown only as resized copies."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import encode_multipart

from streamkit.archive.models import AuditRecord
from streamkit.archive.store import ArchiveStore
from streamkit.register.editing import form_values
from streamkit.register.importer import import_register
from streamkit.register.models import Martyr, MartyrDocument
from streamkit.register.photos import survey_photos
from streamkit.web.accounts import add_user
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.register.conftest import HARD_ROWS, PRIVATE_PHONE, write_csv
from tests.register.test_photos import CHECKS
from tests.register.tomb_photos import save, stone
from tests.web.conftest import ADMIN, SECRET, STAFF, csrf_token, sign_in, web_settings

# Values no page, feed, API answer, search result or log line may ever hold once they are private or withheld.
PLACE_MARKER = "密字段标记籍贯九七三"
NOTE_MARKER = "内部备注标记五八二"
PHONE_MARKER = "13912345678"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    site = create_app(web_settings(tmp_path, page_size=20), secret_key=SECRET)
    archive: ArchiveStore = site.extensions[STORE_KEY]
    import_register(archive, write_csv(tmp_path / "r.csv", HARD_ROWS))
    add_user(archive, *STAFF, roles=ADMIN)
    yield site
    archive.dispose()


@pytest.fixture
def archive(app: Flask) -> ArchiveStore:
    found: ArchiveStore = app.extensions[STORE_KEY]
    return found


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client).status_code == 302  # type: ignore[attr-defined]
    return client


def record_id(archive: ArchiveStore, name: str, native_place: str = "") -> int:
    with archive.session() as session:
        query = select(Martyr.id).where(Martyr.name == name)
        if native_place:
            query = query.where(Martyr.native_place == native_place)
        found = session.scalar(query)
    assert found is not None
    return found


def edit_form(archive: ArchiveStore, martyr_id: int, **changes: object) -> dict[str, object]:
    """The edit form as the page fills it, with ``changes`` on top (lists for the withheld-field boxes)."""
    with archive.session() as session:
        martyr = session.get(Martyr, martyr_id)
        assert martyr is not None
        values: dict[str, object] = form_values(martyr)
    values["hidden_fields"] = [f for f in str(values["hidden_fields"]).split(",") if f]
    values |= changes
    if not values["hidden"]:
        values.pop("hidden")  # an unticked box is not sent
    return values


def post_edit(client: FlaskClient, martyr_id: int, form: dict[str, object]) -> tuple[int, str]:
    url = f"/admin/martyrs/{martyr_id}/edit"
    token = csrf_token(client.get(url).get_data(as_text=True))
    answer = client.post(url, data={**form, "csrf_token": token})
    return answer.status_code, answer.get_data(as_text=True)


def audits(archive: ArchiveStore, action: str) -> list[AuditRecord]:
    with archive.session() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)))


def test_an_edit_is_audited_field_by_field_and_private_values_only_as_changed(
    staff: FlaskClient, archive: ArchiveStore
) -> None:
    martyr_id = record_id(archive, "王志国", "山东济南")
    form = edit_form(archive, martyr_id, unit="华东野战军第九纵队", died="1947年5月", private_notes=NOTE_MARKER)
    form["family_contact"] = PHONE_MARKER
    status, _ = post_edit(staff, martyr_id, form)
    assert status == 302
    with archive.session() as session:
        martyr = session.get(Martyr, martyr_id)
        assert martyr is not None
        assert (martyr.unit, martyr.died_text, martyr.family_contact) == (
            "华东野战军第九纵队",
            "1947年5月",
            PHONE_MARKER,
        )
        assert str(martyr.died_from) == "1947-05-01" and str(martyr.died_to) == "1947-05-31"
        assert martyr.key == "tomb:南山烈士陵园/A/3/12"  # the stable key a re-import finds it by
    (record,) = audits(archive, "martyr.update")
    detail = json.loads(record.detail)
    assert record.actor == STAFF[0] and record.target == f"martyr:{martyr_id}"
    assert detail["unit"] == {"before": "华东野战军", "after": "华东野战军第九纵队"}
    assert detail["died_text"] == {"before": "1947.3.5", "after": "1947年5月"}
    assert detail["family_contact"] == "changed" and detail["private_notes"] == "changed"
    assert PHONE_MARKER not in record.detail and PRIVATE_PHONE not in record.detail and NOTE_MARKER not in record.detail
    audit_page = staff.get("/admin/audit").get_data(as_text=True)
    assert "martyr.update" in audit_page and PHONE_MARKER not in audit_page
    # The search text follows the edit: the new unit is found.
    assert "王志国" in staff.get("/martyrs?unit=第九纵队").get_data(as_text=True)
    # Saving the same form again changes nothing and writes no audit record.
    assert post_edit(staff, martyr_id, form)[0] == 302
    assert len(audits(archive, "martyr.update")) == 1


def test_a_bad_edit_says_why_in_chinese_beside_the_field_and_writes_nothing(
    staff: FlaskClient, archive: ArchiveStore
) -> None:
    martyr_id = record_id(archive, "陳國樑")
    status, html = post_edit(staff, martyr_id, edit_form(archive, martyr_id, died="去年秋天", name=""))
    assert status == 400
    assert re.search(r'class="field invalid">\s*<label for="died">.*?日期无法识别', html, re.S)
    assert "请填写姓名" in html and "Traceback" not in html
    taken = edit_form(archive, martyr_id, section="A", row="3", number="13")  # 王志国 of 泰安 lies there
    status, html = post_edit(staff, martyr_id, taken)
    assert status == 400 and "already holds another record" in html
    with archive.session() as session:
        martyr = session.get(Martyr, martyr_id)
        assert martyr is not None and (martyr.name, martyr.died_text, martyr.number) == ("陳國樑", "1950年10月", "2")
    assert audits(archive, "martyr.update") == []


def test_the_edit_pages_need_a_signed_in_editor(app: Flask, archive: ArchiveStore) -> None:
    client = app.test_client()
    martyr_id = record_id(archive, "李明")
    for url in ("/admin/martyrs/?q=lm", f"/admin/martyrs/{martyr_id}/edit"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
    assert client.post(f"/admin/martyrs/{martyr_id}/documents").status_code in (302, 400)
    assert len(audits(archive, "martyr.document.add")) == 0


def public_pages(client: FlaskClient, app: Flask, martyr_ids: list[int]) -> dict[str, str]:
    """Every public GET page without parameters, the feeds and API, the register's pages and searches."""
    urls = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.arguments
        and not rule.rule.startswith(("/admin", "/overlays", "/static", "/lang"))
    }
    urls |= {f"/martyrs/{i}" for i in martyr_ids}
    urls |= {"/martyrs?q=wzg", "/martyrs?place=" + PLACE_MARKER, "/martyrs?died=1947", "/martyrs?cemetery=南山烈士陵园"}
    pages = {}
    for url in sorted(urls):
        answer = client.get(url)
        assert answer.status_code in (200, 404), url
        pages[url] = answer.get_data(as_text=True)
    return pages


def test_withheld_and_private_fields_reach_no_public_page_feed_api_search_or_log(
    app: Flask, staff: FlaskClient, archive: ArchiveStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shown_id = record_id(archive, "王志国", "山东济南")
    hidden_id = record_id(archive, "𠮷䶮")
    # The family of 王志国 asks to withhold the native place and the death date; the notes are staff-only.
    form = edit_form(archive, shown_id, native_place=PLACE_MARKER, hidden_fields=["native_place", "died"])
    form |= {"private_notes": NOTE_MARKER, "family_contact": PHONE_MARKER}
    assert post_edit(staff, shown_id, form)[0] == 302
    # The family of 𠮷䶮 asks to hide the whole record.
    form = edit_form(archive, hidden_id, hidden=True, biography=PLACE_MARKER)
    assert post_edit(staff, hidden_id, form)[0] == 302
    assert PLACE_MARKER not in audits(archive, "martyr.update")[0].detail  # withheld: only "changed"

    visitor = app.test_client()
    pages = public_pages(visitor, app, [shown_id, hidden_id])
    for url, html in pages.items():
        html = html.replace(f'value="{PLACE_MARKER}"', "")  # the search form echoing what the visitor typed
        for marker in (PLACE_MARKER, NOTE_MARKER, PHONE_MARKER, PRIVATE_PHONE, "𠮷䶮"):
            assert marker not in html, (url, marker)
    shown = pages[f"/martyrs/{shown_id}"]
    assert "王志国" in shown and "1947.3.5" not in shown and "deathDate" not in shown
    assert "没有找到" in pages["/martyrs?place=" + PLACE_MARKER]  # a withheld value finds nothing
    assert f"/martyrs/{shown_id}" not in pages["/martyrs?died=1947"]  # nor does a withheld death year
    for record in caplog.records:
        for marker in (PLACE_MARKER, NOTE_MARKER, PHONE_MARKER):
            assert marker not in record.getMessage()
    # Staff still see and can edit everything.
    assert PLACE_MARKER in staff.get(f"/admin/martyrs/{shown_id}/edit").get_data(as_text=True)
    assert "𠮷䶮" in staff.get("/admin/martyrs/?q=𠮷䶮").get_data(as_text=True)
    # A record whose name itself is withheld: gone from the public search, still found by staff under that name.
    form = edit_form(archive, record_id(archive, "陳國樑"), hidden_fields=["name"])
    assert post_edit(staff, record_id(archive, "陳國樑"), form)[0] == 302
    assert "陳國樑" not in visitor.get("/martyrs?q=chenguoliang").get_data(as_text=True)
    assert "陳國樑" in staff.get("/admin/martyrs/?q=陳國樑").get_data(as_text=True)


def scan(width: int = 1800, height: int = 1200) -> bytes:
    """A grainy paper scan: noise keeps the JPEG large, as a real scan is."""
    grain = np.random.default_rng(7).integers(150, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grain).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def upload(client: FlaskClient, martyr_id: int, data: bytes, filename: str, **fields: str) -> tuple[int, str]:
    token = csrf_token(client.get(f"/admin/martyrs/{martyr_id}/edit").get_data(as_text=True))
    form = {
        "kind": "letter",
        "caption": "1946年寄给母亲的信",
        "source": "家属捐赠",
        "transcription": "母亲大人：\n儿一切安好。",
    }
    form |= fields
    # Encoded here, in memory: the test client would spool a large body to a temporary file it never closes.
    from werkzeug.datastructures import FileStorage, MultiDict

    parts = MultiDict({**form, "csrf_token": token})
    parts.add("upload", FileStorage(io.BytesIO(data), filename=filename, content_type="application/octet-stream"))
    boundary, body = encode_multipart(parts)
    answer = client.post(
        f"/admin/martyrs/{martyr_id}/documents", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    return answer.status_code, answer.get_data(as_text=True)


def test_a_letter_home_is_shown_as_resized_copies_with_srcset_never_the_original(
    app: Flask, staff: FlaskClient, archive: ArchiveStore
) -> None:
    martyr_id = record_id(archive, "李明")
    original = scan()
    assert len(original) > 1 << 20  # larger than the site's limit for other forms
    status, _ = upload(staff, martyr_id, original, "家书.jpg")
    assert status == 302
    html = app.test_client().get(f"/martyrs/{martyr_id}").get_data(as_text=True)
    image = re.search(r'<figure class="document">\s*<img ([^>]+)>', html)
    assert image is not None
    tag = image.group(1)
    assert re.search(r'srcset="[^"]+/w320\.jpg 320w, [^"]+/w640\.jpg 640w, [^"]+/w1280\.jpg 1280w"', tag)
    assert 'width="1280" height="853"' in tag and 'alt="1946年寄给母亲的信"' in tag
    assert "烈士家书" in html and "家属捐赠" in html and "母亲大人：\n儿一切安好。" in html
    for url in re.findall(r"(/media/[^\s\"]+\.jpg)", tag):
        with app.test_client().get(url) as served:
            assert served.status_code == 200 and served.data != original
            with Image.open(io.BytesIO(served.data)) as copy:
                assert copy.width <= 1280
    with archive.session() as session:
        document = session.scalar(select(MartyrDocument))
        assert document is not None
    assert document.original not in html and not (archive.media_dir / document.original).exists()
    kept = archive.media_dir.with_name(archive.media_dir.name + "-originals") / document.original
    assert kept.read_bytes() == original
    assert [a.target for a in audits(archive, "martyr.document.add")] == [f"martyr:{martyr_id}"]

    # Hidden, it leaves the public page; shown again, it comes back.
    token = csrf_token(staff.get(f"/admin/martyrs/{martyr_id}/edit").get_data(as_text=True))
    assert staff.post(f"/admin/martyrs/documents/{document.id}/hide", data={"csrf_token": token}).status_code == 302
    assert "1946年寄给母亲的信" not in app.test_client().get(f"/martyrs/{martyr_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "filename", "fields", "message"),
    [
        (b"not a picture at all", "x.jpg", {}, "无法使用这个文件"),
        (b"%PDF-1.4", "x.pdf", {}, "无法使用这个文件"),
        (None, "x.jpg", {"source": ""}, "请填写来源"),
    ],
)
def test_a_bad_upload_is_refused_beside_the_field_and_leaves_nothing(
    staff: FlaskClient, archive: ArchiveStore, data: bytes | None, filename: str, fields: dict[str, str], message: str
) -> None:
    martyr_id = record_id(archive, "李明")
    status, html = upload(staff, martyr_id, data if data is not None else scan(400, 300), filename, **fields)
    assert status == 400 and message in html and "Traceback" not in html
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(MartyrDocument)) == 0
    assert not (archive.media_dir / "register" / "documents").exists() or not any(
        (archive.media_dir / "register" / "documents").iterdir()
    )


def test_a_decompression_bomb_is_refused(staff: FlaskClient, archive: ArchiveStore) -> None:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")  # 400 megapixels in a few kilobytes
    status, html = upload(staff, record_id(archive, "李明"), buffer.getvalue(), "bomb.png")
    assert status == 400 and "无法使用这个文件" in html


def test_the_tomb_photo_is_shown_resized_with_srcset(app: Flask, archive: ArchiveStore, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    save(stone(30, 1600, 1200), folder / "A-03-12.jpg")
    survey_photos(archive, folder, checks=CHECKS)
    martyr_id = record_id(archive, "王志国", "山东济南")
    html = app.test_client().get(f"/martyrs/{martyr_id}").get_data(as_text=True)
    tag = re.search(r'<figure class="tomb-photo"><img ([^>]+)>', html)
    assert tag is not None and 'srcset="' in tag.group(1) and 'width="1280" height="960"' in tag.group(1)
    assert "A-03-12.jpg" not in html and str(folder) not in html


def test_tomb_photo_copies_already_in_place_are_used_and_none_left_half_made(
    archive: ArchiveStore, tmp_path: Path
) -> None:
    from streamkit.register.memorial import tomb_picture

    save(stone(31, 900, 600), tmp_path / "photos" / "A-03-12.jpg")
    survey_photos(archive, tmp_path / "photos", checks=CHECKS)
    martyr_id = record_id(archive, "王志国", "山东济南")
    first = tomb_picture(archive, martyr_id)
    assert first is not None and [d.width for d in first.sizes] == [320, 640, 900]
    folder = archive.media_dir / first.folder
    (folder / "sizes.txt").unlink()  # as if another worker were still renaming its folder into place
    again = tomb_picture(archive, martyr_id)
    assert again is not None and again.sizes == first.sizes
    assert not [p for p in folder.parent.iterdir() if p.name.endswith(".partial")]
    assert tomb_picture(archive, record_id(archive, "李明")) is None  # no photo
