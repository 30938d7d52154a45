"""The public register pages: search and browse, a page per martyr, never a hidden record or a private field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamkit.archive.store import ArchiveStore
from streamkit.register.importer import import_register
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.register.conftest import HARD_ROWS, HEADER, PRIVATE_PHONE, write_csv
from tests.web.conftest import SECRET, web_settings

NOTE = "只给工作人员看"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    site = create_app(web_settings(tmp_path, page_size=2, database_url=database_url), secret_key=SECRET)
    rows = [(*r, "否", "", NOTE) for r in HARD_ROWS]
    rows[1] = (*HARD_ROWS[1], "否", "籍贯", NOTE)  # 王志国 of 泰安: the family asked to withhold the native place
    rows.append(("ID-9", "周九", "男", "湖南", "", "1950", "", "", "", "", "", "是", "", ""))
    path = write_csv(tmp_path / "r.csv", rows, header=(*HEADER, "隐藏", "隐藏字段", "内部备注"))
    archive: ArchiveStore = site.extensions[STORE_KEY]
    import_register(archive, path)
    yield site
    archive.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def text(client: FlaskClient, url: str, status: int = 200) -> str:
    answer = client.get(url)
    assert answer.status_code == status, url
    return answer.get_data(as_text=True)


def links(html: str) -> list[str]:
    return re.findall(r'href="(/martyrs/\d+)"', html)


def test_search_by_initials_traditional_and_filters(client: FlaskClient) -> None:
    assert text(client, "/martyrs?q=wzg").count(">王志国</a>") == 2
    one = text(client, "/martyrs?q=王誌國&place=濟南")
    assert one.count(">王志国</a>") == 1 and "山东济南" in one
    assert ">𠮷䶮</a>" in text(client, "/martyrs?died=1949")
    assert "没有找到" in text(client, "/martyrs?q=张三")
    text(client, "/martyrs?died=19x", status=400)
    text(client, "/martyrs?page=x", status=400)


def test_browse_is_paginated_and_leaves_hidden_records_out(client: FlaskClient) -> None:
    seen: list[str] = []
    url: str | None = "/martyrs"
    while url:
        html = text(client, url)
        seen += links(html)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == 5  # six records, one hidden
    assert all("周九" not in text(client, link) for link in seen)


def test_martyr_page_shows_public_fields_only(client: FlaskClient) -> None:
    pages = {link: text(client, link) for link in links(text(client, "/martyrs?q=wangzhiguo"))}
    assert len(pages) == 2
    for html in pages.values():
        assert PRIVATE_PHONE not in html and NOTE not in html and "山东泰安" not in html
        data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
        assert data["@type"] == "Person" and data["name"] == "王志国"
        assert data["memberOf"]["name"] == "华东野战军" and data["deathPlace"]["name"] == "孟良崮"
        assert '<meta property="og:type" content="profile">' in html
    assert sum("山东济南" in html for html in pages.values()) == 1
    assert any("<dt>籍贯</dt>" not in html for html in pages.values())  # withheld: the label is not shown either


def test_hidden_and_missing_records_are_not_found(client: FlaskClient, app: Flask) -> None:
    from sqlalchemy import select

    from streamkit.register.models import Martyr

    archive: ArchiveStore = app.extensions[STORE_KEY]
    with archive.session() as session:
        hidden_id = session.scalar(select(Martyr.id).where(Martyr.name == "周九"))
    assert "周九" not in text(client, f"/martyrs/{hidden_id}", status=404)
    text(client, "/martyrs/99999", status=404)


def test_chinese_first_english_labels(client: FlaskClient) -> None:
    assert "<h1>英名录</h1>" in text(client, "/martyrs")
    link = links(text(client, "/martyrs?q=lm"))[0]
    assert "<dt>籍贯</dt>" in text(client, link)
    assert "<dt>Native place</dt>" in text(client, f"{link}?lang=en")
    assert '<a href="/martyrs">英名录</a>' in text(client, "/schedule")


def test_the_player_starts_at_t_only_for_a_moment_inside_the_video(client: FlaskClient, app: Flask) -> None:
    from streamkit.archive.models import ArchiveEntry

    archive: ArchiveStore = app.extensions[STORE_KEY]
    with archive.transaction() as session:
        entry = ArchiveEntry(kind="tour", title="导览", media_url="https://video.example/a.mp4", duration_ms=200_000)
        session.add(entry)
        session.flush()
        entry_id = entry.id
    assert 'src="https://video.example/a.mp4#t=133"' in text(client, f"/watch/{entry_id}?t=133")
    for bad in ("abc", "-5", "200", "99999999999999999999"):
        assert "#t=" not in text(client, f"/watch/{entry_id}?t={bad}")
