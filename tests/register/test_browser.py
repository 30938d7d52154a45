"""The public register in Debian's Chromium on a phone-width screen: search by initials, open a martyr's page,
no sideways scroll, JavaScript not needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamkit.register.importer import import_register
from streamkit.web.app import create_app
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.register.conftest import HARD_ROWS, write_csv
from tests.web.conftest import SECRET, web_settings
from tests.web.test_browser import LiveSite

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():  # CI installs chromium (scripts/system-packages.txt); only a bare machine skips
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    live = LiveSite(create_app(web_settings(tmp_path), secret_key=SECRET))
    import_register(live.store, write_csv(tmp_path / "r.csv", HARD_ROWS))
    yield live
    live.stop()


@pytest.fixture
def phone() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, java_script_enabled=False
        )
        yield context.new_page()
        browser.close()


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
