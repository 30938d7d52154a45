"""The public register in Debian's Chromium on a phone-width screen: search by initials, open a martyr's page,
no sideways scroll, JavaScript not needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamkit.register.importer import import_register
from streamkit.web.app import create_app
from tests.register.conftest import HARD_ROWS, write_csv
from tests.web.conftest import SECRET, web_settings
from tests.web.live_site import LiveSite, chromium, require_chromium, serving

pytestmark = pytest.mark.browser

sync_api = require_chromium()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    with serving(create_app(web_settings(tmp_path), secret_key=SECRET)) as live:
        import_register(live.store, write_csv(tmp_path / "r.csv", HARD_ROWS))
        yield live


@pytest.fixture
def phone() -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, java_script_enabled=False
        )
        yield context.new_page()


def test_search_and_martyr_page_on_a_phone_without_javascript(site: LiveSite, phone: Any) -> None:
    phone.goto(f"{site.url}/martyrs")
    phone.fill("input[name=q]", "wzg")
    phone.click("button[type=submit]")
    assert phone.locator("ol.martyrs a").all_inner_texts() == ["王志国", "王志国"]
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    phone.locator("ol.martyrs a").first.click()
    assert phone.locator("h1").inner_text() == "王志国"
    assert "华东野战军" in phone.locator("article").inner_text()
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_document_on_a_phone_is_a_screen_sized_copy_and_a_withheld_field_is_absent(
    site: LiveSite, phone: Any, tmp_path: Path
) -> None:
    import json

    from PIL import Image
    from sqlalchemy import select

    from streamkit.archive.models import AuditRecord
    from streamkit.register.documents import DocumentDraft, add_document
    from streamkit.register.editing import edit_record, form_values
    from streamkit.register.models import Martyr

    with site.store.session() as session:
        martyr = session.scalars(select(Martyr).where(Martyr.native_place == "山东济南")).one()
        values = form_values(martyr)
    marker = "家属要求不公开的籍贯"
    with site.store.transaction() as session:
        edit_record(session, martyr.id, values | {"native_place": marker, "hidden_fields": "native_place"}, actor="t")
        detail = json.loads(session.scalars(select(AuditRecord.detail)).one())
    assert detail["native_place"] == "changed"
    letter = tmp_path / "letter.png"
    Image.new("RGB", (2000, 1400), (230, 220, 190)).save(letter)
    add_document(
        site.store, martyr.id, letter, DocumentDraft("letter", "寄给母亲的信", "家属捐赠", "娘：见字如面。"), actor="t"
    )

    phone.goto(f"{site.url}/martyrs/{martyr.id}")
    image = phone.locator("figure.document img")
    assert "320w" in (image.get_attribute("srcset") or "") and "1280w" in (image.get_attribute("srcset") or "")
    phone.wait_for_function("() => document.querySelector('figure.document img').complete")
    chosen = image.evaluate("img => [img.currentSrc, img.getBoundingClientRect().width]")
    assert chosen[0].endswith("/w640.jpg")  # 360 px wide at 1x: the narrowest copy at least that wide, not 1280
    assert 0 < chosen[1] <= 360
    assert "娘：见字如面。" in phone.locator("figure.document").inner_text()
    assert marker not in phone.content() and "籍贯" not in phone.locator("article dl").inner_text()
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
