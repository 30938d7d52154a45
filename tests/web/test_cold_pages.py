"""A cold archive page (rendered the first time) costs two queries, and what it keeps between pages is its own
app's: the count, the facets and the filter form, by revision."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event

from streamkit.archive.store import ArchiveStore
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.web.conftest import SECRET, web_settings
from tests.web.test_hardening import add_entry


def count_queries(app: Flask) -> list[str]:
    seen: list[str] = []
    engine = app.extensions[STORE_KEY].engine
    event.listen(engine, "before_cursor_execute", lambda _c, _k, statement, *_: seen.append(statement))
    return seen


def test_a_cold_archive_page_is_the_revision_and_its_rows(app: Flask, store: ArchiveStore) -> None:
    for n in range(45):
        add_entry(store, f"录像 {n:02d}", tags=("清明",))
    client = app.test_client()
    assert client.get("/archive?page=1").status_code == 200  # the count and facets of this revision
    seen = count_queries(app)
    page = client.get("/archive?page=3")
    assert page.status_code == 200 and page.headers["X-Cache"] == "MISS"
    assert "录像 04" in page.get_data(as_text=True) and 'value="清明"' in page.get_data(as_text=True)
    assert len(seen) == 2, seen  # the revision, then the page's rows (no count, no facets, no tags, no N+1)
    add_entry(store, "新录像", tags=("公祭",))
    assert 'value="公祭"' in client.get("/archive?page=2").get_data(as_text=True)  # a new revision: new facets


def test_each_app_keeps_its_own_filter_form(tmp_path: Path) -> None:
    sites = []
    for name, tag in [("a", "清明"), ("b", "公祭")]:
        site = create_app(web_settings(tmp_path / name), secret_key=SECRET)
        add_entry(site.extensions[STORE_KEY], f"录像 {name}", tags=(tag,))  # both databases at revision 1
        sites.append((site, tag))
    for site, tag in sites:
        html = site.test_client().get("/archive").get_data(as_text=True)
        assert f'value="{tag}"' in html
        site.extensions[STORE_KEY].dispose()
